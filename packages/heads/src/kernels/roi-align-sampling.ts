import type { RoiAlignAttrs } from './roi-align-attrs.js';

/**
 * Where RoIAlign samples, by torchvision 0.14's CPU kernel rules
 * (csrc/ops/cpu/roi_align_kernel.cpp, pre_calc_for_bilinear_interpolate), in float32:
 * start = x1*s (aligned: -0.5), size = x2*s - start (unaligned: at least 1), bin = size/out,
 * grid = samplingRatio, or ceil(size/out) when it is 0; sample i of bin p sits at
 * start + p*bin + (i+.5)*bin/grid. A coordinate below -1 or beyond the map size is a zero
 * sample that still counts in the average; one <= 0 clamps to 0; low = int(c), and
 * low >= size-1 clamps both corners (and c) to size-1.
 * The weight of corner (y, x) is the product of its two axes' weights, as torchvision's
 * w1 = hy*hx, so one table per axis and RoI holds everything a bin needs.
 */

// Module-level copies: in jest's vm context a global Math lookup in a hot loop is slow.
const { fround, ceil, max, trunc } = Math;

/** One RoI's placement on the feature map. */
export interface RoiBins {
  batch: number;
  startH: number;
  startW: number;
  binH: number;
  binW: number;
  gridH: number;
  gridW: number;
  /** Divisor of a bin's sum: max(gridH * gridW, 1). */
  count: number;
}

export function roiBins(rois: ArrayLike<number>, k: number, a: RoiAlignAttrs): RoiBins {
  const r = k * 5;
  const offset = a.aligned ? 0.5 : 0;
  const scale = fround(a.spatialScale);
  const startW = fround(fround(rois[r + 1] * scale) - offset);
  const startH = fround(fround(rois[r + 2] * scale) - offset);
  const endW = fround(fround(rois[r + 3] * scale) - offset);
  const endH = fround(fround(rois[r + 4] * scale) - offset);
  let roiW = fround(endW - startW);
  let roiH = fround(endH - startH);
  if (!a.aligned) {
    roiW = max(roiW, 1);
    roiH = max(roiH, 1);
  }
  const binH = fround(roiH / a.pooledHeight);
  const binW = fround(roiW / a.pooledWidth);
  // ceil of a negative size (aligned, inverted box) is <= 0: no samples, a zero output.
  const gridH = a.samplingRatio > 0 ? a.samplingRatio : ceil(binH);
  const gridW = a.samplingRatio > 0 ? a.samplingRatio : ceil(binW);
  return { batch: trunc(rois[r]), startH, startW, binH, binW, gridH, gridW, count: max(gridH * gridW, 1) };
}

/**
 * The samples of one axis of one RoI, sample j of bin p at index p*grid + j: the two corner
 * rows (or columns), their weights (1-l and l) and whether the sample is inside (-1, size].
 */
export class AxisSamples {
  low = new Int32Array(0);
  high = new Int32Array(0);
  lowWeight = new Float32Array(0);
  highWeight = new Float32Array(0);
  valid = new Uint8Array(0);

  fill(start: number, bin: number, grid: number, bins: number, size: number): void {
    const n = max(grid, 0) * bins;
    if (this.low.length < n) {
      this.low = new Int32Array(n);
      this.high = new Int32Array(n);
      this.lowWeight = new Float32Array(n);
      this.highWeight = new Float32Array(n);
      this.valid = new Uint8Array(n);
    }
    for (let p = 0; p < bins; p++) {
      const binStart = fround(start + fround(p * bin));
      for (let i = 0; i < grid; i++) {
        const j = p * grid + i;
        let c = fround(binStart + fround(fround((i + 0.5) * bin) / grid));
        if (c < -1 || c > size) {
          this.valid[j] = 0;
          this.low[j] = 0;
          this.high[j] = 0;
          this.lowWeight[j] = 0;
          this.highWeight[j] = 0;
          continue;
        }
        if (c <= 0) c = 0;
        let lo = trunc(c);
        let hi: number;
        if (lo >= size - 1) {
          lo = hi = size - 1;
          c = lo;
        } else {
          hi = lo + 1;
        }
        const l = fround(c - lo);
        this.valid[j] = 1;
        this.low[j] = lo;
        this.high[j] = hi;
        this.lowWeight[j] = fround(1 - l);
        this.highWeight[j] = l;
      }
    }
  }
}

/** A batch index outside [0, N) would read another image's memory in torchvision; here it is an error. */
export function checkBatchIndex(op: string, bins: RoiBins, k: number, batches: number): void {
  if (!(bins.batch >= 0 && bins.batch < batches)) {
    throw new Error(`${op}: rois[${k}][0] must be a batch index in [0, ${batches}), got ${bins.batch}`);
  }
}
