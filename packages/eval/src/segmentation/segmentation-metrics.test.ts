import { SegmentationMetrics } from './segmentation-metrics.js';

describe('SegmentationMetrics', () => {
  it('confusion-matrix mIoU, pixel accuracy, class accuracy with ignore 255 and an absent class', () => {
    // 4 classes; class 3 never appears in targets or predictions -> NaN, left out of the means.
    const target = [0, 0, 1, 1, 2, 255, 2, 0];
    const pred = [0, 1, 1, 1, 2, 3, 0, 0];
    const m = new SegmentationMetrics(4);
    m.update(pred, target);
    const r = m.compute();
    // kept pixels: 7; correct: 0,1,1,2,0 -> 5
    expect(r.pixels).toBe(7);
    expect(r.pixelAccuracy).toBeCloseTo(5 / 7, 15);
    // class 0: tp 2, target 3, pred 3 -> IoU 2/4; class 1: tp 2, target 2, pred 3 -> 2/3; class 2: tp 1, target 2, pred 1 -> 1/2
    expect(r.iou[0]).toBeCloseTo(0.5, 15);
    expect(r.iou[1]).toBeCloseTo(2 / 3, 15);
    expect(r.iou[2]).toBeCloseTo(0.5, 15);
    expect(r.iou[3]).toBeNaN();
    expect(r.mIoU).toBeCloseTo((0.5 + 2 / 3 + 0.5) / 3, 15);
    expect(Array.from(r.classAccuracy.slice(0, 3))).toEqual([2 / 3, 1, 0.5]);
    expect(r.meanClassAccuracy).toBeCloseTo((2 / 3 + 1 + 0.5) / 3, 15);
    expect(r.fwIoU).toBeCloseTo((3 / 7) * 0.5 + (2 / 7) * (2 / 3) + (2 / 7) * 0.5, 15);
  });

  it('a class predicted but absent from targets has IoU 0 and counts in the mean', () => {
    const m = new SegmentationMetrics(2);
    m.update([1, 1], [0, 0]);
    const r = m.compute();
    expect(Array.from(r.iou)).toEqual([0, 0]);
    expect(r.mIoU).toBe(0);
  });

  it('streams over batches, honours a custom ignore index, and names bad pixels', () => {
    const a = new SegmentationMetrics(3, { ignoreIndex: -1 });
    a.update(Uint8Array.from([0, 1]), Int16Array.from([0, -1]));
    a.update([2, 2], [2, 1]);
    const r = a.compute();
    expect(r.pixels).toBe(3);
    expect(r.pixelAccuracy).toBeCloseTo(2 / 3, 15);
    expect(() => a.update([0], [7])).toThrow('target[0] = 7 is neither a class in [0, 3) nor the ignore index -1');
    expect(() => a.update([5], [0])).toThrow('prediction[0] = 5 is not a class in [0, 3)');
    expect(() => a.update([0, 1], [0])).toThrow('prediction has 2 pixels, target 1');
  });
});
