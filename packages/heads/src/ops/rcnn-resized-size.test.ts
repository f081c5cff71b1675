import { rcnnResizedSize } from './rcnn-resized-size.js';
import { checkResizeGrid, loadFixture, resizeGridSizes } from './__tests__/anchors-masks-fixture.js';

const fixture = loadFixture();

describe('rcnnResizedSize', () => {
  it('gives 799x1199 for 427x640 (the short side can land one below minSize)', () => {
    const r = rcnnResizedSize(427, 640);
    expect([r.height, r.width]).toEqual([799, 1199]);
    expect(r.scale).toBe(Math.fround(Math.fround(1 / 427) * 800));
  });

  it('lets maxSize win for long images: 400x1333 * 1.0 stays 400x1333', () => {
    const r = rcnnResizedSize(400, 1333);
    expect([r.height, r.width]).toEqual([400, 1333]);
  });

  it.each(fixture.resizeGrids.map((g) => [`${g.hCount * g.wCount} sizes, min ${g.minSize} max ${g.maxSize}`, g] as const))('equals torchvision on a grid of %s', (_, g) => {
    checkResizeGrid(g);
  });

  it('differs from naive float32 division where torchvision says it does', () => {
    const g = fixture.resizeGrids[0];
    const sizes = resizeGridSizes(g);
    let off = 0;
    let k = 0;
    for (let i = 0; i < g.hCount; i++) {
      for (let j = 0; j < g.wCount; j++, k += 2) {
        const h = g.h0 + i * g.hStep;
        const w = g.w0 + j * g.wStep;
        const s = Math.min(Math.fround(g.minSize / Math.min(h, w)), Math.fround(g.maxSize / Math.max(h, w)));
        if (Math.floor(h * s) !== sizes[k] || Math.floor(w * s) !== sizes[k + 1]) off++;
      }
    }
    expect(off).toBe(g.naiveF32DivisionOff);
    expect(off / (g.hCount * g.wCount)).toBeGreaterThan(0.2);
  });

  it('rejects bad input with a one-line error naming the value', () => {
    expect(() => rcnnResizedSize(0, 10)).toThrow('rcnnResizedSize: height must be a positive integer, got 0');
    expect(() => rcnnResizedSize(10, 2.5)).toThrow('rcnnResizedSize: width must be a positive integer, got 2.5');
    expect(() => rcnnResizedSize(10, 10, -800)).toThrow('rcnnResizedSize: minSize must be positive and finite, got -800');
  });
});
