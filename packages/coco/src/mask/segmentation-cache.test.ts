import { countsToString } from './codec.js';
import { rleArea } from './rle.js';
import { segmentationToRle } from './segmentation.js';

describe('segmentationToRle decodes each annotation once', () => {
  it('returns the same mask for the same RLE object, and decodes again after an in-place edit', () => {
    const segm = { size: [4, 5] as [number, number], counts: countsToString(Uint32Array.from([3, 4, 13])) };
    const a = segmentationToRle(segm, 4, 5);
    expect(segmentationToRle(segm, 4, 5)).toBe(a);
    expect(rleArea(a)).toBe(4);
    segm.counts = countsToString(Uint32Array.from([2, 6, 12]));
    const b = segmentationToRle(segm, 4, 5);
    expect(b).not.toBe(a);
    expect(rleArea(b)).toBe(6);
  });

  it('decodes polygons again for another image size', () => {
    const poly = [[0, 0, 4, 0, 4, 4, 0, 4]];
    const small = segmentationToRle(poly, 6, 6);
    const large = segmentationToRle(poly, 10, 10);
    expect(large).not.toBe(small);
    expect(large.h).toBe(10);
    expect(segmentationToRle(poly, 10, 10)).toBe(large);
  });
});
