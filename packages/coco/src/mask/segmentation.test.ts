import { countsToString } from './codec.js';
import { rleFrPoly } from './poly.js';
import { rleArea } from './rle.js';
import { segmentationToRle } from './segmentation.js';

describe('segmentationToRle (annToRLE)', () => {
  it('merges several polygons of one object', () => {
    const r = segmentationToRle([[1, 1, 4, 1, 4, 4, 1, 4], [3, 0, 6, 0, 6, 6, 3, 6]], 6, 6);
    expect(countsToString(r.counts)).toBe('7330O?');
    expect(rleArea(r)).toBe(24);
  });

  it('a list whose first entry has 4 numbers is a box', () => {
    const r = segmentationToRle([[1, 1, 3, 3]], 6, 6);
    expect(countsToString(r.counts)).toBe('733000;');
  });

  it('uncompressed and compressed RLE keep their own size', () => {
    const u = segmentationToRle({ size: [2, 3], counts: [2, 1, 1, 2] }, 99, 99);
    expect([u.h, u.w, Array.from(u.counts)]).toEqual([2, 3, [2, 1, 1, 2]]);
    const c = segmentationToRle({ size: [2, 3], counts: '2111' }, 99, 99);
    expect(Array.from(c.counts)).toEqual([2, 1, 1, 2]);
  });

  it('gives the same mask for a polygon and its RLE forms', () => {
    const poly = [0.5, 0.5, 9.3, 1.2, 7.7, 8.8, 1.1, 6.4];
    const p = rleFrPoly(poly, 10, 12);
    const viaPoly = segmentationToRle([poly], 10, 12);
    const viaRle = segmentationToRle({ size: [10, 12], counts: countsToString(p.counts) }, 10, 12);
    expect(Array.from(viaPoly.counts)).toEqual(Array.from(p.counts));
    expect(Array.from(viaRle.counts)).toEqual(Array.from(p.counts));
  });

  it('names the field on bad input', () => {
    expect(() => segmentationToRle([], 5, 5, 'annotations[3].segmentation')).toThrow('annotations[3].segmentation: expected a non-empty list of polygons');
    expect(() => segmentationToRle([[1, 2]], 5, 5, 's')).toThrow('s[0]: a polygon needs at least 3 points (6 numbers), got 2 numbers');
    expect(() => segmentationToRle({ size: [2, 2], counts: [1, -3] }, 5, 5, 's')).toThrow('s.counts[1]: expected a non-negative integer, got -3');
  });
});
