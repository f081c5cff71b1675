/**
 * Padding as layers receive it:
 *  - a number or [top/bottom, left/right] pair: PyTorch's symmetric padding;
 *  - 'same': TensorFlow's rule (the extra pixel goes bottom/right, depends on input size);
 *  - 'valid': none;
 *  - explicit [[top, bottom], [left, right]].
 */
export type Padding2d = number | [number, number] | 'same' | 'valid' | [[number, number], [number, number]];

/** Resolved padding: [[top, bottom], [left, right]]. */
export type ExplicitPadding2d = [[number, number], [number, number]];

function sameAxis(size: number, kernel: number, stride: number, dilation: number): [number, number] {
  const effective = (kernel - 1) * dilation + 1;
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + effective - size, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** Turns any padding spec into explicit per-side amounts for an input of height h, width w. */
export function resolvePadding(
  padding: Padding2d,
  h: number,
  w: number,
  kernel: [number, number],
  stride: [number, number],
  dilation: [number, number],
): ExplicitPadding2d {
  if (padding === 'valid') return [[0, 0], [0, 0]];
  if (padding === 'same') return [sameAxis(h, kernel[0], stride[0], dilation[0]), sameAxis(w, kernel[1], stride[1], dilation[1])];
  if (typeof padding === 'number') return [[padding, padding], [padding, padding]];
  if (typeof padding[0] === 'number') {
    const [ph, pw] = padding as [number, number];
    return [[ph, ph], [pw, pw]];
  }
  return padding as ExplicitPadding2d;
}

/** PyTorch's usual "keep size at stride 1" padding for an odd kernel: ((k-1)*d)/2. */
export function symmetricPadding(kernel: number, dilation = 1): number {
  return Math.floor(((kernel - 1) * dilation) / 2);
}

export function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

export function outputSize(size: number, kernel: number, stride: number, dilation: number, padBefore: number, padAfter: number, ceilMode = false): number {
  const effective = (kernel - 1) * dilation + 1;
  const span = size + padBefore + padAfter - effective;
  let out = (ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  // PyTorch: with ceil_mode the last window must start inside the input or left padding.
  if (ceilMode && (out - 1) * stride >= size + padBefore) out -= 1;
  return out;
}
