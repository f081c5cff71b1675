/**
 * The fixture tools/seg_metrics_reference.py writes (torchvision's references ConfusionMatrix and
 * mmsegmentation's mean_iou, which the generator checks agree) and the comparison with ours.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SegmentationMetrics, type SegmentationReport } from '../segmentation/segmentation-metrics.js';

export interface SegMetricsFixture {
  reference: string;
  numClasses: number;
  ignoreIndex: number;
  images: { height: number; width: number; gt: number[]; pred: number[] }[];
  confusion: number[];
  pixels: number;
  pixelAccuracy: number;
  meanAccuracy: number;
  mIoU: number;
  fwIoU: number;
  /** null where the class is absent from ground truth and prediction (NaN in numpy). */
  perClassIoU: (number | null)[];
  perClassAccuracy: (number | null)[];
}

export const SEG_FIXTURE = join(__dirname, '..', '..', 'fixtures', 'seg-metrics', 'random-case.json');

export function readSegFixture(path = SEG_FIXTURE): SegMetricsFixture {
  return JSON.parse(readFileSync(path, 'utf8')) as SegMetricsFixture;
}

/** Our report on the fixture's images, fed image by image (the streaming path). */
export function ourReport(f: SegMetricsFixture): SegmentationReport {
  const m = new SegmentationMetrics(f.numClasses, { ignoreIndex: f.ignoreIndex });
  for (const im of f.images) m.update(Uint8Array.from(im.pred), Uint8Array.from(im.gt));
  return m.compute();
}

/** Every number that differs from the fixture by more than `tol` (NaN must meet null). */
export function mismatches(r: SegmentationReport, f: SegMetricsFixture, tol: number): string[] {
  const out: string[] = [];
  const check = (what: string, ours: number, ref: number | null) => {
    const ok = ref === null ? Number.isNaN(ours) : Math.abs(ours - ref) <= tol;
    if (!ok) out.push(`${what}: ours ${ours}, reference ${ref}`);
  };
  if (Array.from(r.confusion).join() !== f.confusion.join()) out.push('confusion matrix differs');
  check('pixels', r.pixels, f.pixels);
  check('pixelAccuracy', r.pixelAccuracy, f.pixelAccuracy);
  check('meanAccuracy', r.meanClassAccuracy, f.meanAccuracy);
  check('mIoU', r.mIoU, f.mIoU);
  check('fwIoU', r.fwIoU, f.fwIoU);
  f.perClassIoU.forEach((v, k) => check(`iou[${k}]`, r.iou[k], v));
  f.perClassAccuracy.forEach((v, k) => check(`accuracy[${k}]`, r.classAccuracy[k], v));
  return out;
}
