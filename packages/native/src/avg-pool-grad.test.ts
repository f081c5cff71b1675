/**
 * The native AvgPool gradient gives the bits of the wasm kernel it replaces (tfjs-backend-wasm's
 * AvgPoolGrad, captured before the native kernels are registered), on the pools ResNeSt trains
 * through and on padded, strided and odd shapes. Skips cleanly without the addon.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { isNativeKernel, loadNativeAddon, registerNativeWasmKernels } from './index.js';
import { firstDifference } from './__tests__/same-bits.js';

const { addon, reason } = loadNativeAddon();
const describeNative = addon ? describe : describe.skip;
if (!addon) console.log(`skipped: ${reason}`);

type Shape4 = [number, number, number, number];

/** [input shape, filter, stride, pad]: ResNeSt's avg-down (2x2 s2) and split-attention (3x3 s2 over padded input) pools, then edge cases. */
const CASES: [string, Shape4, number, number, 'valid' | 'same' | number][] = [
  ['avg-down 2x2 stride 2, [4,16,24,256] (threaded)', [4, 16, 24, 256], 2, 2, 'valid'],
  ['3x3 stride 2 over a padded [4,18,26,128] (threaded)', [4, 18, 26, 128], 3, 2, 'valid'],
  ['3x3 stride 1, same padding, 5 channels', [2, 7, 9, 5], 3, 1, 'same'],
  ['3x3 stride 2, explicit padding 1, odd sides', [3, 11, 13, 33], 3, 2, 1],
  ['2x2 stride 3 (gaps between windows)', [1, 10, 10, 8], 2, 3, 'valid'],
];

function gradient(shape: Shape4, filter: number, stride: number, pad: 'valid' | 'same' | number): Float32Array {
  return tf.tidy(() => {
    const size = shape.reduce((a, b) => a * b, 1);
    const x = tf.tensor4d(Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.37)), shape);
    const y = tf.avgPool(x, filter, stride, pad);
    const dy = tf.tensor(Float32Array.from({ length: y.size }, (_, i) => Math.cos(i * 0.7) * (1 + (i % 7))), y.shape);
    return tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(f as tf.Tensor4D, filter, stride, pad), dy)))(x);
  }).dataSync() as Float32Array;
}

describeNative('native AvgPoolGrad on the wasm backend equals the wasm kernel bit for bit', () => {
  const expected = new Map<string, Float32Array>();

  beforeAll(async () => {
    // XNNPACK's kernels first: the reference is the wasm AvgPoolGrad the native one replaces.
    const choice = await initBackend({ backend: 'wasm', report: false, native: false });
    expect(choice.native?.active).toBe(false);
    expect(isNativeKernel(tf.AvgPoolGrad)).toBe(false);
    for (const [name, ...c] of CASES) expected.set(name, gradient(...c));
    expect(registerNativeWasmKernels().registered).toBe(true);
    expect(isNativeKernel(tf.AvgPoolGrad)).toBe(true);
  });

  for (const [name, ...c] of CASES) {
    it(name, () => {
      const got = gradient(...c);
      const want = expected.get(name)!;
      expect(got.length).toBe(c[0].reduce((a, b) => a * b, 1));
      expect(got.some((v) => v !== 0)).toBe(true);
      expect(firstDifference(got, want)).toBe(-1);
    });
  }

  it('agrees with the cpu backend (sum, then one multiply) to float32 rounding', async () => {
    const c = CASES[1];
    const got = gradient(c[1], c[2], c[3], c[4]);
    await tf.setBackend('cpu');
    const cpu = gradient(c[1], c[2], c[3], c[4]);
    await tf.setBackend('wasm');
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - cpu[i]));
    expect(worst).toBeLessThan(1e-5);
  });
});
