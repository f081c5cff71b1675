/**
 * The native convolutions (forward, input and filter gradients; dense and grouped; stride,
 * dilation, asymmetric padding) equal tfjs' cpu backend. Skips cleanly when the addon is not
 * built (no C compiler or OpenBLAS on this machine).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { conv2d, initBackend } from '@tfvision/nn';
import { loadNativeAddon } from './index.js';
import { directWorthIt } from './wasm-kernels.js';

const { addon, reason } = loadNativeAddon();
const describeNative = addon ? describe : describe.skip;
if (!addon) console.log(`skipped: ${reason}`);

interface Case { name: string; x: [number, number, number, number]; k: number; o: number; groups: number; stride: number; dilation: number; pad: [number, number, number, number] }

// Sizes at or above the native thresholds (NATIVE_MIN_COLUMNS/INNER), so the addon runs them;
// the last two are below and must fall back to the wasm kernels unchanged.
const CASES: Case[] = [
  { name: '3x3 pad 1', x: [2, 9, 7, 8], k: 3, o: 32, groups: 1, stride: 1, dilation: 1, pad: [1, 1, 1, 1] },
  { name: '1x1 pointwise', x: [3, 5, 6, 64], k: 1, o: 40, groups: 1, stride: 1, dilation: 1, pad: [0, 0, 0, 0] },
  { name: '1x1 stride 2', x: [2, 7, 7, 64], k: 1, o: 32, groups: 1, stride: 2, dilation: 1, pad: [0, 0, 0, 0] },
  { name: '7x7 stride 2 pad 3 (stem)', x: [1, 17, 15, 3], k: 7, o: 32, groups: 1, stride: 2, dilation: 1, pad: [3, 3, 3, 3] },
  { name: 'TF-same asymmetric stride 2', x: [2, 8, 8, 8], k: 3, o: 33, groups: 1, stride: 2, dilation: 1, pad: [0, 1, 0, 1] },
  { name: 'dilation 2', x: [1, 11, 10, 8], k: 3, o: 32, groups: 1, stride: 1, dilation: 2, pad: [2, 2, 2, 2] },
  { name: 'stride 2 with dilation 2', x: [1, 12, 12, 8], k: 3, o: 32, groups: 1, stride: 2, dilation: 2, pad: [2, 2, 2, 2] },
  { name: 'grouped 2, stride 2 (ResNeSt radix)', x: [2, 9, 9, 16], k: 3, o: 64, groups: 2, stride: 2, dilation: 1, pad: [1, 1, 1, 1] },
  { name: 'grouped 2, dilation 2 (SK path)', x: [1, 8, 8, 16], k: 3, o: 64, groups: 2, stride: 1, dilation: 2, pad: [2, 2, 2, 2] },
  { name: 'below threshold: small output', x: [2, 9, 7, 8], k: 3, o: 6, groups: 1, stride: 1, dilation: 1, pad: [1, 1, 1, 1] },
  // Narrow groups: the direct kernel forward (og 4, 8, 16 specialised, others generic; one and
  // two threads), gradients through the wasm kernels.
  { name: 'direct: grouped 32 x 2 channels, one thread (small)', x: [1, 6, 6, 64], k: 3, o: 64, groups: 32, stride: 1, dilation: 1, pad: [1, 1, 1, 1] },
  { name: 'direct: ResNeXt 32 x 4, two threads', x: [2, 12, 12, 128], k: 3, o: 128, groups: 32, stride: 1, dilation: 1, pad: [1, 1, 1, 1] },
  { name: 'direct: 8 x 8 stride 2', x: [2, 13, 11, 64], k: 3, o: 64, groups: 8, stride: 2, dilation: 1, pad: [1, 1, 1, 1] },
  { name: 'direct: 16 x 16, TF-same asymmetric', x: [1, 10, 10, 32], k: 3, o: 32, groups: 2, stride: 2, dilation: 1, pad: [0, 1, 0, 1] },
  { name: 'direct: 6 in x 12 out (generic width), dilation 2', x: [1, 14, 14, 24], k: 3, o: 48, groups: 4, stride: 1, dilation: 2, pad: [2, 2, 2, 2] },
];

async function onBackend<T>(name: string, fn: () => Promise<T>): Promise<T> {
  await tf.setBackend(name);
  return fn();
}

async function forwardAndGrads(c: Case, xv: Float32Array, fv: Float32Array): Promise<Float32Array[]> {
  const x = tf.tensor4d(xv, c.x);
  const f = tf.tensor4d(fv, [c.k, c.k, c.x[3] / c.groups, c.o]);
  const op = (a: tf.Tensor4D, b: tf.Tensor4D) => conv2d(a, b, { strides: [c.stride, c.stride], pad: [[c.pad[0], c.pad[1]], [c.pad[2], c.pad[3]]], dilations: [c.dilation, c.dilation], groups: c.groups });
  const y = op(x, f);
  const w = tf.randomNormal(y.shape, 0, 1, 'float32', 9);
  const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(op(a as tf.Tensor4D, b as tf.Tensor4D), w)))([x, f]);
  const out = [await y.data(), await dx.data(), await df.data()] as Float32Array[];
  tf.dispose([x, f, y, w, dx, df]);
  return out;
}

it('sends narrow groups to the direct kernel and leaves depthwise and dense alone', () => {
  const geom = (c: number, o: number, groups: number) => ({ n: 1, h: 8, w: 8, c, kh: 3, kw: 3, o, oh: 8, ow: 8, sh: 1, sw: 1, pt: 1, pl: 1, dh: 1, dw: 1, groups });
  expect(directWorthIt(geom(128, 128, 32))).toBe(true); // ResNeXt 32x4d
  expect(directWorthIt(geom(256, 256, 16))).toBe(true); // 16 channels per group
  expect(directWorthIt(geom(64, 64, 64))).toBe(false); // depthwise: XNNPACK
  expect(directWorthIt(geom(64, 128, 2))).toBe(false); // ResNeSt radix 2: im2col + sgemm
  expect(directWorthIt(geom(64, 64, 1))).toBe(false); // dense
});

describeNative('native convolutions carry NaN as PyTorch does', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', report: false, native: true });
  });

  // Dense (im2col + sgemm), pointwise (sgemm alone), narrow groups (the direct kernel) and the
  // fused ReLU epilogue: NaN exactly where the cpu backend (whose convolutions keep NaN) has it.
  const nanCases: [string, Case, string][] = [
    ['dense 3x3', CASES[0], 'linear'],
    ['pointwise', CASES[1], 'relu'],
    ['dense 3x3 + fused ReLU', CASES[0], 'relu'],
    ['direct grouped', CASES[11], 'linear'],
  ];
  for (const [name, c, activation] of nanCases) {
    it(`${name}: NaN reaches exactly the outputs whose receptive field holds one`, async () => {
      const xv = Float32Array.from({ length: c.x.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 2.4));
      xv[7] = NaN;
      xv[xv.length - 40] = NaN;
      const fv = Float32Array.from({ length: c.k * c.k * (c.x[3] / c.groups) * c.o }, (_, i) => Math.cos(i * 1.7) * 0.3);
      const forward = async () => {
        const y = tf.tidy(() => {
          const x = tf.tensor4d(xv, c.x);
          const f = tf.tensor4d(fv, [c.k, c.k, c.x[3] / c.groups, c.o]);
          const pad: [[number, number], [number, number]] = [[c.pad[0], c.pad[1]], [c.pad[2], c.pad[3]]];
          if (c.groups > 1) return conv2d(x, f, { strides: [c.stride, c.stride], pad, dilations: [c.dilation, c.dilation], groups: c.groups });
          return tf.fused.conv2d({ x, filter: f, strides: c.stride, pad: [[0, 0], ...pad, [0, 0]], dilations: c.dilation, bias: tf.zeros([c.o]), activation: activation as 'linear' | 'relu' });
        });
        const out = (await y.data()) as Float32Array;
        y.dispose();
        return out;
      };
      const expected = await onBackend('cpu', forward);
      const got = await onBackend('wasm', forward);
      const nanAt = (v: Float32Array) => Array.from(v).flatMap((x, i) => (Number.isNaN(x) ? [i] : []));
      expect(nanAt(expected).length).toBeGreaterThan(0);
      expect(nanAt(got)).toEqual(nanAt(expected));
    });
  }
});

describeNative('native convolutions on the wasm backend', () => {
  beforeAll(async () => {
    const choice = await initBackend({ backend: 'wasm', report: false, native: true });
    expect(choice.native?.active).toBe(true);
  });

  for (const c of CASES) {
    it(`${c.name}: forward, dx and dw equal the cpu backend`, async () => {
      const xv = Float32Array.from({ length: c.x.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 2.4));
      const fv = Float32Array.from({ length: c.k * c.k * (c.x[3] / c.groups) * c.o }, (_, i) => Math.cos(i * 1.7) * 0.3);
      // nn's conv2d on cpu: tfjs' own kernels there, and nn's gradient-capable grouped kernel for dilation.
      const expected = await onBackend('cpu', () => forwardAndGrads(c, xv, fv));
      const got = await onBackend('wasm', () => forwardAndGrads(c, xv, fv));
      for (let t = 0; t < 3; t++) {
        expect(got[t].length).toBe(expected[t].length);
        let maxDiff = 0;
        let scale = 0;
        for (let i = 0; i < got[t].length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(got[t][i] - expected[t][i]));
          scale = Math.max(scale, Math.abs(expected[t][i]));
        }
        expect(maxDiff / scale).toBeLessThan(1e-5);
      }
    });
  }
});

describeNative('native matrix products on the wasm backend', () => {
  beforeAll(async () => {
    const choice = await initBackend({ backend: 'wasm', report: false, native: true });
    expect(choice.native?.active).toBe(true);
  });

  // [a shape, b shape, transposeA, transposeB]; the first four go to sgemm; the last two (both
  // transposed; fewer than NATIVE_MIN_COLUMNS columns) keep the wasm kernel where XNNPACK has
  // several threads, and go to sgemm beside one (jest's: NATIVE_MIN_COLUMNS_BESIDE_ONE_WASM_THREAD).
  const PRODUCTS: [number[], number[], boolean, boolean][] = [
    [[37, 80], [80, 48], false, false],
    [[37, 80], [48, 80], false, true],
    [[80, 37], [80, 48], true, false],
    [[3, 5, 70], [3, 70, 40], false, false],
    [[2, 70, 6], [2, 33, 70], true, true],
    [[9, 70], [70, 8], false, false],
  ];
  const product = async (as: number[], bs: number[], ta: boolean, tb: boolean): Promise<Float32Array[]> => {
    const a = tf.tensor(Float32Array.from({ length: as.reduce((x, y) => x * y, 1) }, (_, i) => Math.sin(i * 1.3)), as);
    const b = tf.tensor(Float32Array.from({ length: bs.reduce((x, y) => x * y, 1) }, (_, i) => Math.cos(i * 0.7)), bs);
    const y = tf.matMul(a, b, ta, tb);
    // Through the gradients too: they ask for the transposed products.
    const w = tf.randomNormal(y.shape, 0, 1, 'float32', 3);
    const [da, db] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.matMul(p, q, ta, tb), w)))([a, b]);
    const out = [await y.data(), await da.data(), await db.data()] as Float32Array[];
    tf.dispose([a, b, y, w, da, db]);
    return out;
  };

  it.each(PRODUCTS.map((p) => [`${p[0]} x ${p[1]}${p[2] ? ' (a transposed)' : ''}${p[3] ? ' (b transposed)' : ''}`, p] as const))('%s: the product and its gradients equal the cpu backend', async (_, [as, bs, ta, tb]) => {
    const expected = await onBackend('cpu', () => product(as, bs, ta, tb));
    const got = await onBackend('wasm', () => product(as, bs, ta, tb));
    for (let t = 0; t < 3; t++) {
      expect(got[t].length).toBe(expected[t].length);
      let maxDiff = 0;
      for (let i = 0; i < got[t].length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[t][i] - expected[t][i]));
      expect(maxDiff).toBeLessThan(2e-4);
    }
  });
});
