import { decodeRle, encodeMask, rleArea, rleMerge, rleToBbox, type RleMask } from './rle.js';
import { rleFrPoly } from './poly.js';

const rle = (h: number, w: number, counts: number[]): RleMask => ({ h, w, counts: Uint32Array.from(counts) });

describe('RLE encode/decode (column-major, zeros first)', () => {
  it('encodes a 2x3 mask column by column (pycocotools gives counts 2,1,1,2)', () => {
    // rows: [0 1 1] / [0 0 1]; columns read top-down: 0 0 | 1 0 | 1 1
    const r = encodeMask([0, 1, 1, 0, 0, 1], 2, 3);
    expect(Array.from(r.counts)).toEqual([2, 1, 1, 2]);
    expect(rleArea(r)).toBe(3);
    expect(rleToBbox(r)).toEqual([1, 0, 2, 2]);
    expect(Array.from(decodeRle(r))).toEqual([0, 1, 1, 0, 0, 1]);
  });

  it('empty mask: one zero run, area 0, box [0,0,0,0]', () => {
    const r = encodeMask(new Uint8Array(4), 2, 2);
    expect(Array.from(r.counts)).toEqual([4]);
    expect(rleArea(r)).toBe(0);
    expect(rleToBbox(r)).toEqual([0, 0, 0, 0]);
  });

  it('full mask starts with an empty zero run', () => {
    const r = encodeMask([1, 1, 1, 1], 2, 2);
    expect(Array.from(r.counts)).toEqual([0, 4]);
    expect(rleToBbox(r)).toEqual([0, 0, 2, 2]);
  });

  it('one pixel at the bottom-right corner (border-touching)', () => {
    const m = new Uint8Array(9);
    m[8] = 1;
    const r = encodeMask(m, 3, 3);
    expect(Array.from(r.counts)).toEqual([8, 1]);
    expect(rleToBbox(r)).toEqual([2, 2, 1, 1]);
    expect(rleArea(r)).toBe(1);
  });

  it('a run wrapping into the next column spans the full height in the box', () => {
    // h=4, w=2: pixels (y=3, x=0) and (y=0, x=1) are consecutive in column-major order.
    const r = rle(4, 2, [3, 2, 3]);
    expect(rleToBbox(r)).toEqual([0, 0, 2, 4]);
  });

  it('random masks round-trip through encode/decode', () => {
    let s = 12345;
    const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let trial = 0; trial < 50; trial++) {
      const h = 1 + Math.floor(rand() * 12);
      const w = 1 + Math.floor(rand() * 12);
      const density = rand();
      const m = Uint8Array.from({ length: h * w }, () => (rand() < density ? 1 : 0));
      const r = encodeMask(m, h, w);
      expect(Array.from(decodeRle(r))).toEqual(Array.from(m));
      expect(rleArea(r)).toBe(m.reduce((a, b) => a + b, 0));
      expect(r.counts.reduce((a, b) => a + b, 0)).toBe(h * w);
    }
  });

  it('rejects a mask of the wrong length', () => {
    expect(() => encodeMask([1, 0, 1], 2, 2)).toThrow('encodeMask: mask has 3 values, expected h*w = 2*2 = 4');
  });
});

describe('rleMerge', () => {
  // 3x3 square at rows/cols 1..3 and a 3-wide strip at cols 3..5, both in 6x6 (pycocotools values).
  const a = rleFrPoly([1, 1, 4, 1, 4, 4, 1, 4], 6, 6);
  const b = rleFrPoly([3, 0, 6, 0, 6, 6, 3, 6], 6, 6);

  it('union and intersection match pycocotools (areas 24 and 3)', () => {
    const u = rleMerge([a, b]);
    const i = rleMerge([a, b], true);
    expect(rleArea(u)).toBe(24);
    expect(rleArea(i)).toBe(3);
    const du = decodeRle(u);
    const da = decodeRle(a);
    const db = decodeRle(b);
    for (let p = 0; p < 36; p++) expect(du[p]).toBe(da[p] | db[p]);
  });

  it('one mask is copied; masks of different sizes give an empty 0x0 RLE', () => {
    expect(Array.from(rleMerge([a]).counts)).toEqual(Array.from(a.counts));
    const bad = rleMerge([a, rle(5, 5, [25])]);
    expect([bad.h, bad.w, bad.counts.length]).toEqual([0, 0, 0]);
  });
});
