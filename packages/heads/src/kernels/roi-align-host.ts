import type { RoiAlignAttrs } from './roi-align-attrs.js';
import { AxisSamples, checkBatchIndex, roiBins, type RoiBins } from './roi-align-sampling.js';

/**
 * RoIAlign forward and backward on host typed arrays, NHWC: the cpu kernel and the wasm kernel
 * (on views of the wasm heap) both run these. torchvision's CPU kernel walks channels outermost
 * (NCHW) and reuses one table of sample weights per RoI; here the channel loop is innermost and
 * contiguous, and a bin's samples are first merged into its distinct corner pixels: a corner's
 * weight is wy * wx (torchvision's w1 = hy * hx), so the bin is sum over rows r and columns q of
 * Wy[r] * Wx[q] * x[r, q] with Wy, Wx the summed weights of the valid samples per row and
 * column. With 2x2 samples in a bin of about 2 pixels (the usual FPN case) that is 9 distinct
 * corners instead of 16 loads per channel. 1/count is folded into the weights.
 * Sums differ from torchvision's per-sample float32 rounding by ~1e-7 relative.
 * With a.roiLevels, RoIs of other levels than a.level are skipped (forward: a zero row).
 */

type Shape4 = readonly [number, number, number, number];

/** One axis of one bin: its distinct pixels (rows or columns) and their summed weights. */
class BinAxis {
  index = new Int32Array(8);
  weight = new Float64Array(8);
  length = 0;

  /** Samples p*grid .. p*grid+grid-1 of `s`; their pixels are non-decreasing, so repeats are adjacent. */
  gather(s: AxisSamples, p: number, grid: number): void {
    if (this.index.length < 2 * grid) {
      this.index = new Int32Array(2 * grid);
      this.weight = new Float64Array(2 * grid);
    }
    let n = 0;
    for (let i = p * grid; i < (p + 1) * grid; i++) {
      if (s.valid[i] === 0) continue;
      n = this.add(n, s.low[i], s.lowWeight[i]);
      n = this.add(n, s.high[i], s.highWeight[i]);
    }
    this.length = n;
  }

  private add(n: number, pixel: number, w: number): number {
    if (w === 0) return n;
    if (n > 0 && this.index[n - 1] === pixel) {
      this.weight[n - 1] += w;
      return n;
    }
    this.index[n] = pixel;
    this.weight[n] = w;
    return n + 1;
  }
}

/** A bin's corners as flat offsets into x and weights / count, padded to a multiple of 4 with weight 0. */
class BinCorners {
  offset = new Int32Array(16);
  weight = new Float64Array(16);
  length = 0;

  build(rows: BinAxis, cols: BinAxis, base: number, rowStride: number, c: number, count: number): void {
    const n = rows.length * cols.length;
    const padded = (n + 3) & ~3;
    if (this.offset.length < padded) {
      this.offset = new Int32Array(padded);
      this.weight = new Float64Array(padded);
    }
    let j = 0;
    for (let r = 0; r < rows.length; r++) {
      const rowOffset = base + rows.index[r] * rowStride;
      const wy = rows.weight[r] / count;
      for (let q = 0; q < cols.length; q++, j++) {
        this.offset[j] = rowOffset + cols.index[q] * c;
        this.weight[j] = wy * cols.weight[q];
      }
    }
    for (; j < padded; j++) {
      this.offset[j] = base;
      this.weight[j] = 0;
    }
    this.length = n === 0 ? 0 : padded;
  }
}

/** Walks every pooled bin of the selected RoIs with its merged corners. */
function forEachBin(rois: ArrayLike<number>, numRois: number, a: RoiAlignAttrs, shape: Shape4, skip: (k: number) => void, visit: (o: number, corners: BinCorners) => void): void {
  const [n, h, w, c] = shape;
  const oh = a.pooledHeight;
  const ow = a.pooledWidth;
  const ys = new AxisSamples();
  const xs = new AxisSamples();
  const rows = new BinAxis();
  const cols = new BinAxis();
  const corners = new BinCorners();
  const rowStride = w * c;
  const selective = a.roiLevels.length > 0;
  for (let k = 0; k < numRois; k++) {
    if (selective && a.roiLevels[k] !== a.level) {
      skip(k);
      continue;
    }
    const b: RoiBins = roiBins(rois, k, a);
    checkBatchIndex('roiAlign', b, k, n);
    ys.fill(b.startH, b.binH, b.gridH, oh, h);
    xs.fill(b.startW, b.binW, b.gridW, ow, w);
    const base = b.batch * h * rowStride;
    for (let ph = 0; ph < oh; ph++) {
      rows.gather(ys, ph, b.gridH);
      for (let pw = 0; pw < ow; pw++) {
        cols.gather(xs, pw, b.gridW);
        corners.build(rows, cols, base, rowStride, c, b.count);
        visit(((k * oh + ph) * ow + pw) * c, corners);
      }
    }
  }
}

export function roiAlignForwardHost(x: Float32Array, xShape: Shape4, rois: ArrayLike<number>, numRois: number, a: RoiAlignAttrs, out: Float32Array): void {
  const c = xShape[3];
  const rowSize = a.pooledHeight * a.pooledWidth * c;
  forEachBin(
    rois,
    numRois,
    a,
    xShape,
    (k) => out.fill(0, k * rowSize, (k + 1) * rowSize),
    (o, corners) => {
      const { offset, weight, length } = corners;
      if (length === 0) {
        out.fill(0, o, o + c);
        return;
      }
      for (let j = 0; j < length; j += 4) {
        const p0 = offset[j];
        const p1 = offset[j + 1];
        const p2 = offset[j + 2];
        const p3 = offset[j + 3];
        const w0 = weight[j];
        const w1 = weight[j + 1];
        const w2 = weight[j + 2];
        const w3 = weight[j + 3];
        if (j === 0) {
          for (let ch = 0; ch < c; ch++) out[o + ch] = w0 * x[p0 + ch] + w1 * x[p1 + ch] + w2 * x[p2 + ch] + w3 * x[p3 + ch];
        } else {
          for (let ch = 0; ch < c; ch++) out[o + ch] += w0 * x[p0 + ch] + w1 * x[p1 + ch] + w2 * x[p2 + ch] + w3 * x[p3 + ch];
        }
      }
    },
  );
}

/** dx (inputShape, zeroed here) = the sum over RoIs, bins and corners of dy * weight / count. */
export function roiAlignBackwardHost(dy: Float32Array, rois: ArrayLike<number>, numRois: number, a: RoiAlignAttrs, inputShape: Shape4, dx: Float32Array): void {
  const c = inputShape[3];
  dx.fill(0);
  forEachBin(
    rois,
    numRois,
    a,
    inputShape,
    () => undefined,
    (o, corners) => {
      const { offset, weight, length } = corners;
      for (let j = 0; j < length; j += 4) {
        const p0 = offset[j];
        const p1 = offset[j + 1];
        const p2 = offset[j + 2];
        const p3 = offset[j + 3];
        const w0 = weight[j];
        const w1 = weight[j + 1];
        const w2 = weight[j + 2];
        const w3 = weight[j + 3];
        // Padding corners (weight 0) add 0 to the first corner: harmless, and branch-free.
        for (let ch = 0; ch < c; ch++) {
          const g = dy[o + ch];
          dx[p0 + ch] += g * w0;
          dx[p1 + ch] += g * w1;
          dx[p2 + ch] += g * w2;
          dx[p3 + ch] += g * w3;
        }
      }
    },
  );
}
