/**
 * Source indices and weights of torch.nn.functional.interpolate (torch 1.13 CPU kernels,
 * aten/src/ATen/native/UpSample.h), one axis at a time.
 *
 * Linear: the ratio is float32 — (in-1)/(out-1) with alignCorners, else float32(1/scale) when a
 * scale factor reaches the kernel, else in/out — but the source coordinate
 * ratio·(d+0.5)−0.5 (alignCorners: ratio·d) is not rounded to float32 before its integer part
 * and fraction are taken; that was measured against torch (a float32 source coordinate
 * disagrees on almost every tap of an 800-pixel axis). λ1 = f32(src − i0), λ0 = f32(1 − λ1).
 * Same sizes copy (torch's "scale_factor = 1" shortcut).
 * Nearest: floor(f32(d·ratio)) clamped to in−1, with torch's shortcuts for out = in and out = 2·in.
 */

/** Per output position along one axis: the two source taps and their weights. */
export interface LinearTaps {
  readonly i0: Int32Array;
  readonly i1: Int32Array;
  readonly w0: Float32Array;
  readonly w1: Float32Array;
  /** True when the axis is copied unchanged (out = in). */
  readonly identity: boolean;
}

/**
 * torch's float32 ratio of one axis.
 * @param scale the scale factor the kernel sees (undefined when torch passes none)
 */
export function linearRatio(inSize: number, outSize: number, alignCorners: boolean, scale?: number): number {
  if (alignCorners) return outSize > 1 ? Math.fround((inSize - 1) / (outSize - 1)) : 0;
  return scale !== undefined && scale > 0 ? Math.fround(1 / scale) : Math.fround(inSize / outSize);
}

/**
 * Linear taps for output positions [start, end) of an axis resized from inSize to outSize.
 * @param scale the scale factor the kernel sees (undefined when torch passes none)
 */
export function linearTaps(inSize: number, outSize: number, alignCorners: boolean, scale?: number, start = 0, end = outSize): LinearTaps {
  const n = Math.max(end - start, 0);
  const i0 = new Int32Array(n);
  const i1 = new Int32Array(n);
  const w0 = new Float32Array(n);
  const w1 = new Float32Array(n);
  const identity = inSize === outSize;
  const ratio = linearRatio(inSize, outSize, alignCorners, scale);
  for (let k = 0; k < n; k++) {
    const d = start + k;
    if (identity) {
      i0[k] = d;
      i1[k] = d;
      w0[k] = 1;
      continue;
    }
    let src = alignCorners ? ratio * d : ratio * (d + 0.5) - 0.5;
    if (!alignCorners && src < 0) src = 0;
    const lo = Math.min(Math.trunc(src), inSize - 1);
    i0[k] = lo;
    i1[k] = lo < inSize - 1 ? lo + 1 : lo;
    const lambda1 = Math.fround(src - lo);
    w1[k] = lambda1;
    w0[k] = Math.fround(1 - lambda1);
  }
  return { i0, i1, w0, w1, identity };
}

/**
 * Nearest ('nearest', the floor rule) source index of every output position of an axis.
 * @param scale the scale factor the kernel sees (undefined when torch passes none)
 */
export function nearestTaps(inSize: number, outSize: number, scale?: number): Int32Array {
  const idx = new Int32Array(outSize);
  if (outSize === inSize) {
    for (let d = 0; d < outSize; d++) idx[d] = d;
    return idx;
  }
  if (outSize === 2 * inSize) {
    for (let d = 0; d < outSize; d++) idx[d] = d >> 1;
    return idx;
  }
  const ratio = scale !== undefined && scale > 0 ? Math.fround(1 / scale) : Math.fround(inSize / outSize);
  for (let d = 0; d < outSize; d++) idx[d] = Math.min(Math.floor(Math.fround(d * ratio)), inSize - 1);
  return idx;
}
