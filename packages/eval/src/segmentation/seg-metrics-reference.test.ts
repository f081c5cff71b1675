/**
 * SegmentationMetrics equals the reference computations of tools/seg_metrics_reference.py on its
 * committed random case (fixtures/seg-metrics/random-case.json: 3 images of different sizes,
 * 6 classes, one absent everywhere, ~7% ignore-index pixels): torchvision 0.14's references
 * ConfusionMatrix (acc_global, acc, iu) and mmsegmentation's mean_iou, nan-mean over classes,
 * FCN's frequency-weighted IoU. The confusion matrix must be identical, the numbers to 1e-15.
 */
import { mismatches, ourReport, readSegFixture } from '../testing/seg-metrics-case.js';

describe('SegmentationMetrics against torchvision/mmseg confusion-matrix references', () => {
  const f = readSegFixture();
  it(`equals the committed random case (${f.reference.slice(0, 60)}...)`, () => {
    const r = ourReport(f);
    expect(mismatches(r, f, 1e-15)).toEqual([]);
    // The case exercises what it claims: an absent class (NaN, left out of the means) and ignored pixels.
    expect(f.perClassIoU.filter((v) => v === null)).toHaveLength(1);
    const total = f.images.reduce((a, im) => a + im.gt.length, 0);
    expect(total - r.pixels).toBe(f.images.reduce((a, im) => a + im.gt.filter((v) => v === f.ignoreIndex).length, 0));
    expect(total - r.pixels).toBeGreaterThan(50);
    expect(r.mIoU).toBeCloseTo(0.5978035163759315, 15);
  });
});
