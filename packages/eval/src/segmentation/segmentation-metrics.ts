/**
 * Streaming semantic-segmentation metrics from a confusion matrix: pixel accuracy, mean
 * class accuracy, per-class IoU and mIoU, frequency-weighted IoU. Pixels whose target is
 * the ignore index (255 by default) are skipped.
 *
 * A class that never occurs, in the targets nor the predictions, has IoU 0/0 = NaN and is
 * left out of mIoU (numpy nanmean, as mmsegmentation and torchvision's reference do); a
 * class that is predicted but never present in the targets has IoU 0 and counts. Class
 * accuracy is NaN for classes absent from the targets and likewise left out of the mean.
 */

export interface SegmentationReport {
  pixels: number;
  pixelAccuracy: number;
  meanClassAccuracy: number;
  /** Per-class accuracy (recall): NaN for classes absent from the targets. */
  classAccuracy: Float64Array;
  /** Per-class IoU: NaN for classes absent from both targets and predictions. */
  iou: Float64Array;
  mIoU: number;
  /** IoU weighted by each class's target pixel frequency. */
  fwIoU: number;
  /** Row = target class, column = predicted class; row-major [C * C]. */
  confusion: Float64Array;
}

export class SegmentationMetrics {
  readonly numClasses: number;
  readonly ignoreIndex: number;
  private readonly counts: Float64Array;

  constructor(numClasses: number, options: { ignoreIndex?: number } = {}) {
    if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`SegmentationMetrics: numClasses must be a positive integer, got ${numClasses}`);
    this.numClasses = numClasses;
    this.ignoreIndex = options.ignoreIndex ?? 255;
    this.counts = new Float64Array(numClasses * numClasses);
  }

  /** Adds a batch of predicted and target class maps of equal length (any layout, same order). */
  update(prediction: ArrayLike<number>, target: ArrayLike<number>): void {
    if (prediction.length !== target.length) throw new Error(`SegmentationMetrics.update: prediction has ${prediction.length} pixels, target ${target.length}`);
    const C = this.numClasses;
    for (let i = 0; i < target.length; i++) {
      const t = target[i];
      if (t === this.ignoreIndex) continue;
      const p = prediction[i];
      if (!(t >= 0 && t < C && Number.isInteger(t))) throw new Error(`SegmentationMetrics.update: target[${i}] = ${t} is neither a class in [0, ${C}) nor the ignore index ${this.ignoreIndex}`);
      if (!(p >= 0 && p < C && Number.isInteger(p))) throw new Error(`SegmentationMetrics.update: prediction[${i}] = ${p} is not a class in [0, ${C})`);
      this.counts[t * C + p]++;
    }
  }

  compute(): SegmentationReport {
    const C = this.numClasses;
    const m = this.counts;
    let total = 0;
    let diag = 0;
    const rows = new Float64Array(C);
    const cols = new Float64Array(C);
    for (let t = 0; t < C; t++) {
      for (let p = 0; p < C; p++) {
        rows[t] += m[t * C + p];
        cols[p] += m[t * C + p];
      }
      diag += m[t * C + t];
    }
    for (let t = 0; t < C; t++) total += rows[t];
    const classAccuracy = new Float64Array(C);
    const iou = new Float64Array(C);
    let fw = 0;
    for (let c = 0; c < C; c++) {
      const tp = m[c * C + c];
      classAccuracy[c] = rows[c] > 0 ? tp / rows[c] : NaN;
      const union = rows[c] + cols[c] - tp;
      iou[c] = union > 0 ? tp / union : NaN;
      if (rows[c] > 0) fw += (rows[c] / total) * iou[c];
    }
    return {
      pixels: total,
      pixelAccuracy: total > 0 ? diag / total : NaN,
      meanClassAccuracy: nanMean(classAccuracy),
      classAccuracy,
      iou,
      mIoU: nanMean(iou),
      fwIoU: total > 0 ? fw : NaN,
      confusion: m.slice(),
    };
  }

  reset(): void {
    this.counts.fill(0);
  }
}

function nanMean(v: Float64Array): number {
  let s = 0;
  let n = 0;
  for (const x of v) {
    if (!Number.isNaN(x)) {
      s += x;
      n++;
    }
  }
  return n > 0 ? s / n : NaN;
}
