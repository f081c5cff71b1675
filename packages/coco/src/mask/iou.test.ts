import { bboxIou, packedBoxIou, rleIou } from './iou.js';
import { rleFrBbox, rleFrPoly } from './poly.js';

describe('bboxIou', () => {
  it('half-overlapping boxes: 50 / 150, or 50 / 100 against a crowd', () => {
    const iou = bboxIou([[0, 0, 10, 10]], [[5, 0, 10, 10], [5, 0, 10, 10]], [0, 1]);
    expect(iou[0]).toBeCloseTo(1 / 3, 15);
    expect(iou[1]).toBe(0.5);
  });

  it('touching or disjoint boxes give 0; layout is [det][gt]', () => {
    const iou = bboxIou([[0, 0, 10, 10], [20, 20, 2, 2]], [[10, 0, 5, 5], [19, 19, 4, 4]], [0, 0]);
    expect(Array.from(iou)).toEqual([0, 0, 0, 4 / 16]);
  });

  it('packed variant agrees', () => {
    const d = Float64Array.from([1.5, 2, 7.25, 3]);
    const g = Float64Array.from([0, 0, 4, 4]);
    expect(packedBoxIou(d, 0, g, 0, false)).toBe(bboxIou([[1.5, 2, 7.25, 3]], [[0, 0, 4, 4]], [0])[0]);
  });
});

describe('rleIou', () => {
  const a = rleFrPoly([1, 1, 4, 1, 4, 4, 1, 4], 6, 6); // 9 px
  const b = rleFrPoly([3, 0, 6, 0, 6, 6, 3, 6], 6, 6); // 18 px, 3 shared with a

  it('intersection over union, or over the detection area for a crowd (pycocotools: 0.125, 1/3)', () => {
    const iou = rleIou([a], [b, b], [0, 1]);
    expect(iou[0]).toBe(0.125);
    expect(iou[1]).toBe(3 / 9);
  });

  it('is 0 when boxes do not overlap and -1 when sizes differ', () => {
    const far = rleFrBbox([5, 5, 1, 1], 6, 6);
    const other = rleFrBbox([1, 1, 3, 3], 7, 6);
    expect(Array.from(rleIou([a], [far, other], [0, 0]))).toEqual([0, -1]);
  });

  it('identical masks give 1; empty masks give 0', () => {
    const empty = rleFrPoly([], 6, 6);
    expect(Array.from(rleIou([a, empty], [a, empty], [0, 0]))).toEqual([1, 0, 0, 0]);
  });
});
