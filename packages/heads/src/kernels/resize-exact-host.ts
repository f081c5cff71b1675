/**
 * Host loops of the exact resize (torch.nn.functional.interpolate, torch 1.13 CPU rules) over
 * NHWC typed arrays, shared by the cpu and wasm kernels. Taps come from ops/resize-taps.ts, once
 * per axis. Bilinear blends along W then H, each blend f32(f32(a·wa) + f32(b·wb)), the order of
 * the gather composite (resize-exact-composite.ts) and so bit-identical to it: the product and
 * sum of two float32 values computed in float64 and rounded once equal the float32 operation.
 * The adjoints accumulate in float64 and round once per element.
 */
import { linearTaps, nearestTaps, type LinearTaps } from '../ops/resize-taps.js';
import { kernelScale, type ResizeExactAttrs, type Shape4 } from './resize-exact-attrs.js';

// Closure constant: a global Math lookup in the inner loop is slow inside jest's vm context.
const { fround } = Math;

type Values = Float32Array | Int32Array | Uint8Array;

function taps(a: ResizeExactAttrs, inH: number, inW: number): { rows: LinearTaps; cols: LinearTaps } {
  return {
    rows: linearTaps(inH, a.outHeight, a.alignCorners, kernelScale(a.scaleH)),
    cols: linearTaps(inW, a.outWidth, a.alignCorners, kernelScale(a.scaleW)),
  };
}

/** Source row `r` of batch `b` blended along W into `dst` (outW·C values). */
function blendRow(x: Float32Array, base: number, cols: LinearTaps, c: number, dst: Float32Array, dstAt: number): void {
  if (cols.identity) {
    dst.set(x.subarray(base, base + cols.i0.length * c), dstAt);
    return;
  }
  const { i0, i1, w0, w1 } = cols;
  for (let ox = 0; ox < i0.length; ox++) {
    const l = base + i0[ox] * c;
    const r = base + i1[ox] * c;
    const wl = w0[ox];
    const wr = w1[ox];
    const o = dstAt + ox * c;
    for (let ch = 0; ch < c; ch++) dst[o + ch] = fround(x[l + ch] * wl) + fround(x[r + ch] * wr);
  }
}

/** Bilinear forward: x [N, H, W, C] -> out [N, outH, outW, C]. */
export function bilinearForwardHost(x: Float32Array, shape: Shape4, a: ResizeExactAttrs, out: Float32Array): void {
  const [n, h, w, c] = shape;
  const { rows, cols } = taps(a, h, w);
  const oh = a.outHeight;
  const rowLen = a.outWidth * c;
  const slots = [new Float32Array(rowLen), new Float32Array(rowLen)];
  for (let b = 0; b < n; b++) {
    const slotRow = [-1, -1];
    // Rows are visited in increasing order, so two cached W-blended rows suffice.
    const rowOf = (r: number, keep: number): Float32Array => {
      if (slotRow[0] === r) return slots[0];
      if (slotRow[1] === r) return slots[1];
      const s = slotRow[0] === keep ? 1 : 0;
      blendRow(x, (b * h + r) * w * c, cols, c, slots[s], 0);
      slotRow[s] = r;
      return slots[s];
    };
    for (let oy = 0; oy < oh; oy++) {
      const o = (b * oh + oy) * rowLen;
      if (rows.identity) {
        blendRow(x, (b * h + oy) * w * c, cols, c, out, o);
        continue;
      }
      const r0 = rows.i0[oy];
      const r1 = rows.i1[oy];
      const top = rowOf(r0, r1);
      const bottom = rowOf(r1, r0);
      const wt = rows.w0[oy];
      const wb = rows.w1[oy];
      for (let k = 0; k < rowLen; k++) out[o + k] = fround(top[k] * wt) + fround(bottom[k] * wb);
    }
  }
}

/** Bilinear adjoint: dy [N, outH, outW, C] -> dx [N, H, W, C]. */
export function bilinearBackwardHost(dy: Float32Array, inputShape: Shape4, a: ResizeExactAttrs, dx: Float32Array): void {
  const [n, h, w, c] = inputShape;
  const { rows, cols } = taps(a, h, w);
  const oh = a.outHeight;
  const ow = a.outWidth;
  const rowLen = ow * c;
  // H adjoint into [H, outW·C] per image, then the W adjoint of each row into dx.
  const byRow = new Float64Array(h * rowLen);
  const acc = new Float64Array(w * c);
  for (let b = 0; b < n; b++) {
    byRow.fill(0);
    for (let oy = 0; oy < oh; oy++) {
      const src = (b * oh + oy) * rowLen;
      const t = rows.i0[oy] * rowLen;
      const u = rows.i1[oy] * rowLen;
      const wt = rows.w0[oy];
      const wb = rows.w1[oy];
      for (let k = 0; k < rowLen; k++) {
        const g = dy[src + k];
        byRow[t + k] += g * wt;
        byRow[u + k] += g * wb;
      }
    }
    for (let r = 0; r < h; r++) {
      acc.fill(0);
      const base = r * rowLen;
      for (let ox = 0; ox < ow; ox++) {
        const l = cols.i0[ox] * c;
        const rr = cols.i1[ox] * c;
        const wl = cols.w0[ox];
        const wr = cols.w1[ox];
        const g = base + ox * c;
        for (let ch = 0; ch < c; ch++) {
          acc[l + ch] += byRow[g + ch] * wl;
          acc[rr + ch] += byRow[g + ch] * wr;
        }
      }
      dx.set(acc, (b * h + r) * w * c);
    }
  }
}

function nearestMaps(a: ResizeExactAttrs, h: number, w: number): { rows: Int32Array; cols: Int32Array } {
  return { rows: nearestTaps(h, a.outHeight, kernelScale(a.scaleH)), cols: nearestTaps(w, a.outWidth, kernelScale(a.scaleW)) };
}

/** Nearest forward (any dtype): x [N, H, W, C] -> out [N, outH, outW, C]. */
export function nearestForwardHost(x: Values, shape: Shape4, a: ResizeExactAttrs, out: Values): void {
  const [n, h, w, c] = shape;
  const { rows, cols } = nearestMaps(a, h, w);
  const oh = a.outHeight;
  const ow = a.outWidth;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const src = (b * h + rows[oy]) * w * c;
      const o = (b * oh + oy) * ow * c;
      for (let ox = 0; ox < ow; ox++) {
        const s = src + cols[ox] * c;
        const d = o + ox * c;
        for (let ch = 0; ch < c; ch++) out[d + ch] = x[s + ch];
      }
    }
  }
}

/** Nearest adjoint: each input pixel gets the sum of the gradients of the outputs that read it. */
export function nearestBackwardHost(dy: Float32Array, inputShape: Shape4, a: ResizeExactAttrs, dx: Float32Array): void {
  const [n, h, w, c] = inputShape;
  const { rows, cols } = nearestMaps(a, h, w);
  const oh = a.outHeight;
  const ow = a.outWidth;
  const acc = new Float64Array(h * w * c);
  for (let b = 0; b < n; b++) {
    acc.fill(0);
    for (let oy = 0; oy < oh; oy++) {
      const dst = rows[oy] * w * c;
      const src = (b * oh + oy) * ow * c;
      for (let ox = 0; ox < ow; ox++) {
        const d = dst + cols[ox] * c;
        const s = src + ox * c;
        for (let ch = 0; ch < c; ch++) acc[d + ch] += dy[s + ch];
      }
    }
    dx.set(acc, b * h * w * c);
  }
}

/** Forward of either mode; bilinear takes float32 only (checked by the kernels). */
export function resizeForwardHost(x: Values, shape: Shape4, a: ResizeExactAttrs, out: Values): void {
  if (a.mode === 'bilinear') bilinearForwardHost(x as Float32Array, shape, a, out as Float32Array);
  else nearestForwardHost(x, shape, a, out);
}

export function resizeBackwardHost(dy: Float32Array, inputShape: Shape4, a: ResizeExactAttrs, dx: Float32Array): void {
  if (a.mode === 'bilinear') bilinearBackwardHost(dy, inputShape, a, dx);
  else nearestBackwardHost(dy, inputShape, a, dx);
}

/** [N, outH, outW, C] of an input shape. */
export function resizedShape(shape: readonly number[], a: ResizeExactAttrs): Shape4 {
  return [shape[0], a.outHeight, a.outWidth, shape[3]];
}
