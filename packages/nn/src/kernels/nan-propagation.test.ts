/**
 * NaN propagates through pooling, clamps and fused activations on cpu and wasm as in PyTorch:
 * an output is NaN exactly where a NaN of the input reaches it (its pooling window, receptive
 * field or row), and every other output equals the cpu backend's. The expected NaN positions
 * are computed here from the geometry alone.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '../backend.js';

type Shape4 = [number, number, number, number];

/** Seeded positions (LCG) set to NaN in a sine-filled tensor. */
function withNaNs(shape: number[], count: number, seed: number): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const v = Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.37) * 4);
  let s = seed >>> 0;
  for (let k = 0; k < count; k++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[s % size] = NaN;
  }
  return v;
}

/** out[b, y, x, c] is NaN when the window (k, s, pads) over channel c (or every channel) has a NaN. */
function windowMask(xv: Float32Array, [n, h, w, c]: Shape4, k: number, s: number, pad: 'valid' | 'same', perChannel: boolean, outChannels: number): boolean[] {
  const info = tf.backend_util.computePool2DInfo([n, h, w, c], [k, k], [s, s], 1, pad);
  const { top, left } = info.padInfo;
  const mask: boolean[] = [];
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < info.outHeight; oy++)
      for (let ox = 0; ox < info.outWidth; ox++)
        for (let oc = 0; oc < outChannels; oc++) {
          let hit = false;
          for (let i = 0; i < k; i++)
            for (let j = 0; j < k; j++) {
              const y = oy * s - top + i;
              const x = ox * s - left + j;
              if (y < 0 || y >= h || x < 0 || x >= w) continue;
              for (let ci = perChannel ? oc : 0; ci < (perChannel ? oc + 1 : c); ci++) if (Number.isNaN(xv[((b * h + y) * w + x) * c + ci])) hit = true;
            }
          mask.push(hit);
        }
  return mask;
}

interface Case {
  name: string;
  shape: number[];
  nans: number;
  run: (x: tf.Tensor) => tf.Tensor;
  expected: (xv: Float32Array, shape: number[]) => boolean[];
}

const elementwise = (xv: Float32Array) => Array.from(xv, (v) => Number.isNaN(v));
const small: Shape4 = [2, 7, 6, 8];
// Above the size where the wasm check runs as an XNNPACK average pool.
const large: Shape4 = [1, 96, 96, 8];
// Made inside each case's tidy, on the backend under test.
const dwFilter = () => tf.tensor4d(Float32Array.from({ length: 72 }, (_, i) => Math.cos(i * 1.3)), [3, 3, 8, 1]);
const denseFilter = () => tf.tensor4d(Float32Array.from({ length: 9 * 8 * 16 }, (_, i) => Math.cos(i * 0.71) * 0.3), [3, 3, 8, 16]);
const bias8 = () => tf.linspace(-1, 1, 8);
const bias16 = () => tf.linspace(-1, 1, 16);

const CASES: Case[] = [
  ...[small, large].flatMap((shape): Case[] => [
    { name: `maxPool 3x3 stride 2 valid ${shape}`, shape, nans: 5, run: (x) => tf.maxPool(x as tf.Tensor4D, 3, 2, 'valid'), expected: (xv, s) => windowMask(xv, s as Shape4, 3, 2, 'valid', true, 8) },
    { name: `avgPool 2x2 stride 2 ${shape}`, shape, nans: 5, run: (x) => tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid'), expected: (xv, s) => windowMask(xv, s as Shape4, 2, 2, 'valid', true, 8) },
    { name: `relu6 ${shape}`, shape, nans: 7, run: (x) => tf.relu6(x), expected: elementwise },
  ]),
  { name: 'maxPool 3x3 stride 1 same', shape: small, nans: 4, run: (x) => tf.maxPool(x as tf.Tensor4D, 3, 1, 'same'), expected: (xv, s) => windowMask(xv, s as Shape4, 3, 1, 'same', true, 8) },
  { name: 'avgPool 3x3 stride 1 same', shape: small, nans: 4, run: (x) => tf.avgPool(x as tf.Tensor4D, 3, 1, 'same'), expected: (xv, s) => windowMask(xv, s as Shape4, 3, 1, 'same', true, 8) },
  { name: 'all-NaN maxPool', shape: small, nans: 0, run: (x) => tf.maxPool(tf.mul(x, NaN) as tf.Tensor4D, 2, 2, 'valid'), expected: () => new Array(2 * 3 * 3 * 8).fill(true) },
  { name: 'relu', shape: small, nans: 7, run: (x) => tf.relu(x), expected: elementwise },
  { name: 'clipByValue', shape: small, nans: 7, run: (x) => tf.clipByValue(x, -1, 1), expected: elementwise },
  ...(['relu', 'relu6', 'linear'] as const).flatMap((activation): Case[] => [
    { name: `fused depthwise 3x3 ${activation}`, shape: small, nans: 3, run: (x) => tf.fused.depthwiseConv2d({ x: x as tf.Tensor4D, filter: dwFilter(), strides: 1, pad: 'same', bias: bias8(), activation }), expected: (xv, s) => windowMask(xv, s as Shape4, 3, 1, 'same', true, 8) },
    { name: `fused conv 3x3 ${activation}`, shape: small, nans: 2, run: (x) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: denseFilter(), strides: 1, pad: 'same', bias: bias16(), activation }), expected: (xv, s) => windowMask(xv, s as Shape4, 3, 1, 'same', false, 16) },
    {
      name: `fused matMul ${activation}`,
      shape: [12, 8],
      nans: 3,
      run: (x) => tf.fused.matMul({ a: x as tf.Tensor2D, b: tf.tensor2d(Float32Array.from({ length: 128 }, (_, i) => Math.cos(i * 0.71) * 0.3), [8, 16]), bias: bias16(), activation }),
      expected: (xv) => Array.from({ length: 12 * 16 }, (_, i) => xv.slice(Math.floor(i / 16) * 8, Math.floor(i / 16) * 8 + 8).some(Number.isNaN)),
    },
  ]),
  // tfvision's wasm Sum and Mean over leading axes run as average pooling.
  { name: 'mean over N, H, W (BatchNorm statistics)', shape: small, nans: 1, run: (x) => tf.mean(x, [0, 1, 2]), expected: (xv) => Array.from({ length: 8 }, (_, c) => xv.some((v, i) => i % 8 === c && Number.isNaN(v))) },
  { name: 'sum over N, H, W', shape: small, nans: 2, run: (x) => tf.sum(x, [0, 1, 2]), expected: (xv) => Array.from({ length: 8 }, (_, c) => xv.some((v, i) => i % 8 === c && Number.isNaN(v))) },
];

beforeAll(async () => {
  await initBackend({ backend: 'wasm', report: false });
});

async function runOn(backend: string, c: Case, xv: Float32Array): Promise<Float32Array> {
  await tf.setBackend(backend);
  const x = tf.tensor(xv, c.shape);
  const before = tf.memory().numTensors;
  const y = tf.tidy(() => c.run(x));
  const out = (await y.data()) as Float32Array;
  y.dispose();
  expect(tf.memory().numTensors).toBe(before);
  x.dispose();
  return out;
}

describe.each(['cpu', 'wasm'])('NaN propagates on %s as in PyTorch', (backend) => {
  it.each(CASES.map((c, i) => [c.name, c, i] as const))('%s', async (_name, c, i) => {
    const xv = withNaNs(c.shape, c.nans, 11 + i);
    const want = c.expected(xv, c.shape);
    const got = await runOn(backend, c, xv);
    const nanAt = (mask: ArrayLike<boolean>) => Array.from(mask).flatMap((m, k) => (m ? [k] : []));
    expect(got.length).toBe(want.length);
    expect(nanAt(Array.from(got, (v) => Number.isNaN(v)))).toEqual(nanAt(want));
    expect(want.some(Boolean)).toBe(true);
    // Away from the NaN, the same numbers as the cpu backend (its kernels keep finite values right).
    const reference = await runOn('cpu', c, xv);
    let worst = 0;
    for (let k = 0; k < got.length; k++) if (!want[k]) worst = Math.max(worst, Math.abs(got[k] - reference[k]) / (1 + Math.abs(reference[k])));
    expect(worst).toBeLessThan(1e-4);
  });
});
