/**
 * Polygon and box rasterisation exactly as pycocotools' rleFrPoly: vertices are scaled by 5
 * and rounded, edges are walked densely in that upsampled grid, and a pixel column's
 * boundary crossings become run starts. Reproducing the rounding (C casts truncate toward
 * zero) is what makes our masks, areas and IoUs equal pycocotools' to the pixel.
 */
import type { RleMask } from './rle.js';

const SCALE = 5;

/** C's `(int)` cast of a double on x86: truncation, with NaN and out-of-range giving INT_MIN. */
function toInt(v: number): number {
  return v > -2147483649 && v < 2147483648 ? Math.trunc(v) : -2147483648;
}

/** Rasterises one polygon given as a flat [x0, y0, x1, y1, ...] list (an odd trailing value is ignored). */
export function rleFrPoly(xy: ArrayLike<number>, h: number, w: number): RleMask {
  const k = Math.floor(xy.length / 2);
  const x = new Int32Array(k + 1);
  const y = new Int32Array(k + 1);
  for (let j = 0; j < k; j++) x[j] = toInt(SCALE * xy[j * 2] + 0.5);
  for (let j = 0; j < k; j++) y[j] = toInt(SCALE * xy[j * 2 + 1] + 0.5);
  x[k] = x[0];
  y[k] = y[0];

  // Dense walk along every edge in the upsampled grid.
  let total = 0;
  for (let j = 0; j < k; j++) total += Math.max(Math.abs(x[j] - x[j + 1]), Math.abs(y[j] - y[j + 1])) + 1;
  const u = new Int32Array(total);
  const v = new Int32Array(total);
  let m = 0;
  for (let j = 0; j < k; j++) {
    let xs = x[j];
    let xe = x[j + 1];
    let ys = y[j];
    let ye = y[j + 1];
    const dx = Math.abs(xe - xs);
    const dy = Math.abs(ys - ye);
    // Every edge is walked in increasing major coordinate so shared edges rasterise alike.
    const flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) {
      [xs, xe] = [xe, xs];
      [ys, ye] = [ye, ys];
    }
    if (dx >= dy) {
      const s = (ye - ys) / dx;
      for (let d = 0; d <= dx; d++) {
        const t = flip ? dx - d : d;
        u[m] = t + xs;
        v[m] = toInt(ys + s * t + 0.5);
        m++;
      }
    } else {
      const s = (xe - xs) / dy;
      for (let d = 0; d <= dy; d++) {
        const t = flip ? dy - d : d;
        v[m] = t + ys;
        u[m] = toInt(xs + s * t + 0.5);
        m++;
      }
    }
  }

  // Keep the points where the walk crosses a pixel column centre, downsampled to pixels.
  const starts: number[] = [];
  for (let j = 1; j < m; j++) {
    if (u[j] === u[j - 1]) continue;
    let xd = u[j] < u[j - 1] ? u[j] : u[j] - 1;
    xd = (xd + 0.5) / SCALE - 0.5;
    if (Math.floor(xd) !== xd || xd < 0 || xd > w - 1) continue;
    let yd = v[j] < v[j - 1] ? v[j] : v[j - 1];
    yd = (yd + 0.5) / SCALE - 0.5;
    if (yd < 0) yd = 0;
    else if (yd > h) yd = h;
    yd = Math.ceil(yd);
    starts.push((toInt(xd) * h + toInt(yd)) >>> 0);
  }
  starts.push(h * w);
  starts.sort((a, b) => a - b);

  // Differences between sorted crossings are the runs; a zero-length run cancels a toggle.
  const diffs: number[] = new Array(starts.length);
  let prev = 0;
  for (let j = 0; j < starts.length; j++) {
    diffs[j] = starts[j] - prev;
    prev = starts[j];
  }
  const runs: number[] = [diffs[0]];
  for (let j = 1; j < diffs.length; ) {
    if (diffs[j] > 0) runs.push(diffs[j++]);
    else {
      j++;
      if (j < diffs.length) runs[runs.length - 1] += diffs[j++];
    }
  }
  return { h, w, counts: Uint32Array.from(runs) };
}

/** Rasterises a box [x, y, w, h] through the polygon routine, as pycocotools' rleFrBbox. */
export function rleFrBbox(bbox: ArrayLike<number>, h: number, w: number): RleMask {
  const xs = bbox[0];
  const xe = xs + bbox[2];
  const ys = bbox[1];
  const ye = ys + bbox[3];
  return rleFrPoly([xs, ys, xs, ye, xe, ye, xe, ys], h, w);
}
