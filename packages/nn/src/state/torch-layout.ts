import { formatShape, numElements, type HostArray } from './host-tensor.js';

/**
 * PyTorch <-> tfvision weight layouts, in one place. Ours: conv weight HWIO
 * `[kh, kw, in/groups, out]`, Linear weight `[in, out]`. PyTorch: conv OIHW
 * `[out, in/groups, kh, kw]` (grouped and depthwise `[out, 1, kh, kw]` are the same rule),
 * Linear `[out, in]`. Everything else (biases, BN statistics, scalars, embeddings) is shared.
 */
export type TorchLayout = 'conv' | 'linear' | 'same';

/** Picks the layout from the rank of OUR parameter: 4-D conv, 2-D linear, otherwise unchanged. */
export function torchLayoutFor(ourShape: readonly number[]): TorchLayout {
  if (ourShape.length === 4) return 'conv';
  if (ourShape.length === 2) return 'linear';
  return 'same';
}

/** Axis order taking a PyTorch tensor to ours (out[k] = in axis perm[k]). */
const FROM_TORCH: Record<TorchLayout, number[] | undefined> = { conv: [2, 3, 1, 0], linear: [1, 0], same: undefined };
/** Axis order taking ours to PyTorch's. */
const TO_TORCH: Record<TorchLayout, number[] | undefined> = { conv: [3, 2, 0, 1], linear: [1, 0], same: undefined };

const DESCRIBE: Record<TorchLayout, string> = {
  conv: 'conv OIHW [out, in/groups, kh, kw] -> HWIO [kh, kw, in/groups, out]',
  linear: 'Linear [out, in] -> [in, out]',
  same: 'same layout',
};

/** The PyTorch shape that corresponds to our shape. */
export function torchShapeOf(ourShape: readonly number[], layout: TorchLayout = torchLayoutFor(ourShape)): number[] {
  const perm = TO_TORCH[layout];
  return perm ? perm.map((p) => ourShape[p]) : [...ourShape];
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Why a PyTorch tensor of `torchShape` cannot fill our parameter `name` of `ourShape` (undefined if it can). */
export function layoutMismatch(name: string, torchShape: readonly number[], ourShape: readonly number[], layout: TorchLayout = torchLayoutFor(ourShape)): string | undefined {
  const expected = torchShapeOf(ourShape, layout);
  if (sameShape(torchShape, expected)) return undefined;
  const already = layout !== 'same' && sameShape(torchShape, ourShape) ? '; it looks already converted to our layout' : '';
  return `${name}: PyTorch shape ${formatShape(torchShape)} does not match ${formatShape(expected)} (our ${formatShape(ourShape)}, ${DESCRIBE[layout]})${already}`;
}

/** C-order transpose of `data` with `shape` so that result axis k is input axis perm[k]. */
export function permuteAxes<T extends HostArray>(data: T, shape: readonly number[], perm: readonly number[]): T {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = new Array<number>(rank);
  for (let k = rank - 1, s = 1; k >= 0; k--) {
    inStrides[k] = s;
    s *= shape[k];
  }
  const step = perm.map((p) => inStrides[p]);
  const out = new (data.constructor as new (n: number) => T)(data.length);
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let k = 0; k < data.length; k++) {
    out[k] = data[src];
    // Odometer over the output index; src follows with the permuted input strides.
    for (let ax = rank - 1; ax >= 0; ax--) {
      src += step[ax];
      if (++idx[ax] < outShape[ax]) break;
      src -= step[ax] * outShape[ax];
      idx[ax] = 0;
    }
  }
  return out;
}

/**
 * Converts a PyTorch tensor (`torchShape`, C-order `data`) into our layout for the parameter
 * `name` of `ourShape`. The layout is decided by our parameter (see torchLayoutFor); a shape
 * that is not exactly the PyTorch counterpart of ours throws, even when the element counts
 * agree (a transposed square matrix would load silently wrong otherwise). Returns a new
 * array for conv/linear, `data` itself for unchanged layouts.
 */
export function fromTorchLayout<T extends HostArray>(name: string, torchShape: readonly number[], data: T, ourShape: readonly number[], layout: TorchLayout = torchLayoutFor(ourShape)): T {
  const why = layoutMismatch(name, torchShape, ourShape, layout);
  if (why) throw new Error(why);
  if (data.length !== numElements(torchShape)) throw new Error(`${name}: shape ${formatShape(torchShape)} needs ${numElements(torchShape)} values, got ${data.length}`);
  const perm = FROM_TORCH[layout];
  return perm ? permuteAxes(data, torchShape, perm) : data;
}

/** Converts our parameter `name` (`ourShape`, C-order `data`) to PyTorch's layout and shape. */
export function toTorchLayout<T extends HostArray>(name: string, ourShape: readonly number[], data: T, layout: TorchLayout = torchLayoutFor(ourShape)): { shape: number[]; data: T } {
  if (data.length !== numElements(ourShape)) throw new Error(`${name}: shape ${formatShape(ourShape)} needs ${numElements(ourShape)} values, got ${data.length}`);
  const perm = TO_TORCH[layout];
  return { shape: torchShapeOf(ourShape, layout), data: perm ? permuteAxes(data, ourShape, perm) : data };
}
