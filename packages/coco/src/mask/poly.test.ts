import { countsToString } from './codec.js';
import { rleFrBbox, rleFrPoly } from './poly.js';
import { decodeRle, rleArea, rleToBbox } from './rle.js';

// Expected strings, areas and boxes come from pycocotools' frPoly/frBbox on the same input.
describe('rleFrPoly (pycocotools rasterisation)', () => {
  it('a square from (1,1) to (4,4) covers pixels 1..3 in both axes', () => {
    const r = rleFrPoly([1, 1, 4, 1, 4, 4, 1, 4], 6, 6);
    expect(countsToString(r.counts)).toBe('733000;');
    expect(rleArea(r)).toBe(9);
    expect(rleToBbox(r)).toEqual([1, 1, 3, 3]);
    const m = decodeRle(r);
    expect(m[1 * 6 + 1]).toBe(1);
    expect(m[3 * 6 + 3]).toBe(1);
    expect(m[4 * 6 + 4]).toBe(0);
  });

  it('is clipped to the image (polygon larger than the image, negative coordinates)', () => {
    expect(countsToString(rleFrPoly([0, 0, 10, 0, 10, 10, 0, 10], 5, 5).counts)).toBe('0i0');
    const r = rleFrPoly([-2, -2, 3, -2, 3, 3, -2, 3], 4, 4);
    expect(countsToString(r.counts)).toBe('0310004');
    expect(rleArea(r)).toBe(9);
  });

  it('a sub-pixel triangle keeps the one pixel whose centre it covers', () => {
    const r = rleFrPoly([1.5, 1.5, 3.5, 1.5, 3.5, 3.5], 6, 6);
    expect(countsToString(r.counts)).toBe('d01?');
    expect(rleToBbox(r)).toEqual([3, 2, 1, 1]);
  });

  it('polygons with fewer than 3 points are empty masks', () => {
    expect(countsToString(rleFrPoly([2, 2, 5, 5], 8, 8).counts)).toBe('P2');
    expect(countsToString(rleFrPoly([2.2, 3.7], 5, 5).counts)).toBe('i0');
    expect(countsToString(rleFrPoly([], 5, 5).counts)).toBe('i0');
    expect(rleArea(rleFrPoly([2, 1, 2, 4], 6, 6))).toBe(0);
  });

  it('boxes go through the polygon routine, fractional corners included', () => {
    expect(countsToString(rleFrBbox([1, 1, 3, 3], 6, 6).counts)).toBe('733000;');
    const r = rleFrBbox([0.4, 0.6, 2.2, 1.5], 6, 6);
    expect(countsToString(r.counts)).toBe('115000a0');
    expect(rleArea(r)).toBe(3);
    expect(rleToBbox(r)).toEqual([0, 1, 3, 1]);
  });
});
