import { rcnnImageValues } from '../testing/rcnn-images.js';
import { trainBatchSpecs, trainImage } from './train-batch.js';

describe('trainImage', () => {
  const spec = { name: 'train0', shape: [3, 6, 8] as const, rects: [[1, 2, 4, 5, 0.9, 0.2, 0.1], [5, 0, 8, 3, 0.1, 0.5, 1]] };
  const img = trainImage(spec);
  it('quantises the formula image to bytes', () => {
    const v = rcnnImageValues(spec);
    expect(img.pixels.length).toBe(6 * 8 * 3);
    // Pixel (y=3, x=2) is inside rect 0: float32 (0.9, 0.2, 0.1) x 255 = (229.49999, 51.000001, 25.5000004), rounded.
    const at = (3 * 8 + 2) * 3;
    expect([img.pixels[at], img.pixels[at + 1], img.pixels[at + 2]]).toEqual([229, 51, 26]);
    expect(img.pixels[0]).toBe(Math.round(v[0] * 255));
  });
  it('gives each rectangle its box, a label and its bit mask', () => {
    expect([...img.boxes]).toEqual([1, 2, 4, 5, 5, 0, 8, 3]);
    expect([...img.labels]).toEqual([1, 3]);
    expect(img.masks[0].reduce((a, b) => a + b, 0)).toBe(3 * 3);
    expect(img.masks[1].reduce((a, b) => a + b, 0)).toBe(3 * 3);
    expect(img.masks[0][2 * 8 + 1]).toBe(1);
    expect(img.masks[0][2 * 8 + 4]).toBe(0);
  });
  it('refuses a rectangle outside the image', () => {
    expect(() => trainImage({ ...spec, rects: [[1, 2, 9, 5, 0, 0, 0]] })).toThrow('trainImage: rects[0] of train0 must be integers with 0 <= x1 < x2 <= 8, 0 <= y1 < y2 <= 6, got [1, 2, 9, 5]');
  });
});

describe('trainBatchSpecs', () => {
  it('keeps the detector bench rectangles at 800x1088 and scales them to 256x256', () => {
    const full = trainBatchSpecs(800, 1088, 2);
    expect(full.map((s) => s.name)).toEqual(['train0', 'train1']);
    expect(full[0].rects[0].slice(0, 4)).toEqual([80, 96, 480, 560]);
    const small = trainBatchSpecs(256, 256, 1);
    // 80 * 256 / 1088 = 18.8, 96 * 256 / 800 = 30.72, 480 * 256 / 1088 = 112.9, 560 * 256 / 800 = 179.2.
    expect(small[0].rects[0].slice(0, 4)).toEqual([19, 31, 113, 179]);
    for (const r of small[0].rects) expect(r[2] > r[0] && r[3] > r[1] && r[2] <= 256 && r[3] <= 256).toBe(true);
  });
  it('names a bad batch size', () => {
    expect(() => trainBatchSpecs(256, 256, 0)).toThrow('trainBatchSpecs: batch must be a positive integer, got 0');
  });
});
