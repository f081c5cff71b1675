import { countsFromString, countsToString, rleFromString, rleToCompressed } from './codec.js';

describe('compressed RLE counts string', () => {
  // Strings produced by pycocotools for the same counts.
  const known: [number[], string][] = [
    [[2, 1, 1, 2], '2111'],
    [[0, 4], '04'],
    [[4], '4'],
    [[8, 1], '81'],
    [[100, 5, 3000, 17, 2, 1000000, 0, 1], 'T35hm2<ZRM_a`n0NQ^_QO'],
  ];

  it.each(known)('encodes %j as pycocotools does', (counts, s) => {
    expect(countsToString(counts)).toBe(s);
    expect(Array.from(countsFromString(s))).toEqual(counts);
  });

  it('random counts (large values, negative deltas) round-trip', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
    for (let t = 0; t < 200; t++) {
      const n = Math.floor(rand() * 20);
      const counts = Array.from({ length: n }, () => Math.floor(rand() ** 4 * 5e6));
      expect(Array.from(countsFromString(countsToString(counts)))).toEqual(counts);
    }
  });

  it('compressed objects carry [h, w]', () => {
    const r = rleFromString('2111', 2, 3);
    expect(rleToCompressed(r)).toEqual({ size: [2, 3], counts: '2111' });
  });

  it('rejects characters outside the alphabet and cut-off values', () => {
    expect(() => countsFromString('2 1')).toThrow(`character " " at 1 is outside '0'..'o'`);
    expect(() => countsFromString('h')).toThrow('ends inside a value at character 1');
  });
});
