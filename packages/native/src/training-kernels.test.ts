/**
 * The native training kernels (BatchNorm with batch statistics, its gradient, the SGD update)
 * give the same bits as the JS loops they replace, which the cpu backend runs: every output
 * compared with toEqual on the float32 arrays, not a tolerance. Skips cleanly without the addon.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { batchNormTrainStep, initBackend } from '@tfvision/nn';
import { sgdMomentumUpdate, sumOfSquares, sumOfSquaresArrays, type SgdMomentumAttrs } from '@tfvision/train';
import { isNativeKernel, loadNativeAddon } from './index.js';
import { firstDifference, valuesOn } from './__tests__/same-bits.js';

const { addon, reason } = loadNativeAddon();
const describeNative = addon ? describe : describe.skip;
if (!addon) console.log(`skipped: ${reason}`);

/** Values with a large mean beside a small spread (centring matters) and a few exact zeros. */
function values(n: number, seed: number, offset = 0): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => (i % 97 === 0 ? 0 : offset + Math.sin(i * 1.37 + seed) * (1 + (i % 5))));
}

describeNative('native training kernels on the wasm backend equal the JS loops bit for bit', () => {
  beforeAll(async () => {
    const choice = await initBackend({ backend: 'wasm', report: false, native: true });
    expect(choice.native?.active).toBe(true);
  });

  // Channel counts on both sides of the threading threshold; rows x channels from 60 to 200k.
  const SHAPES: [string, number[]][] = [
    ['small (one thread)', [2, 3, 5, 2]],
    ['a detector level, 64 channels (threaded)', [4, 16, 24, 64]],
    ['odd channel count 33', [3, 31, 29, 33]],
  ];

  for (const [name, shape] of SHAPES) {
    const c = shape[3];
    const n = shape.reduce((a, b) => a * b, 1);
    const x = values(n, 1, 40);
    const gamma = values(c, 2, 1);
    const beta = values(c, 3);
    const runningMean = values(c, 4);
    const runningVar = values(c, 5, 2).map(Math.abs);
    const t = () => [tf.tensor4d(x, shape as [number, number, number, number]), tf.tensor1d(gamma), tf.tensor1d(beta)] as const;

    it(`${name}: forward with running statistics`, async () => {
      const f = () => {
        const r = batchNormTrainStep(...t(), 1e-5, { mean: tf.tensor1d(runningMean), variance: tf.tensor1d(runningVar), momentum: 0.1 });
        return [r.y, r.stats, r.runningMean, r.runningVar].filter((v) => v !== undefined) as tf.Tensor[];
      };
      const expected = await valuesOn('cpu', f);
      const got = await valuesOn('wasm', f);
      expect(got.length).toBe(4);
      expect([isNativeKernel('TfvBatchNormTrain'), isNativeKernel('TfvBatchNormTrainGrad')]).toEqual([true, true]);
      for (let i = 0; i < 4; i++) expect(firstDifference(got[i], expected[i])).toBe(-1);
    });

    it(`${name}: the gradients of x, gamma and beta (no running statistics)`, async () => {
      const dy = values(n, 6);
      const f = () => {
        const w = tf.tensor4d(dy, shape as [number, number, number, number]);
        const loss = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(batchNormTrainStep(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3).y, w));
        return tf.grads(loss)([...t()]);
      };
      const expected = await valuesOn('cpu', f);
      const got = await valuesOn('wasm', f);
      expect(got.length).toBe(3);
      for (let i = 0; i < 3; i++) expect(firstDifference(got[i], expected[i])).toBe(-1);
    });
  }

  it('an int32 parameter stops with a message naming it (whichever kernel answers)', async () => {
    await tf.setBackend('wasm');
    const w = tf.tensor1d([1, 2, 3], 'int32');
    const g = tf.tensor1d([1, 2, 3]);
    expect(() => sgdMomentumUpdate(w, g, undefined, { lr: 0.1, momentum: 0, weightDecay: 0, nesterov: false })).toThrow(/param must be float32, got int32/);
    tf.dispose([w, g]);
  });

  // The recipes' case (momentum and decay), Nesterov, no decay, and plain SGD (no buffer); one
  // tensor under and one over the threading threshold.
  const RULES: [string, SgdMomentumAttrs, boolean][] = [
    ['momentum and weight decay', { lr: 0.02, momentum: 0.9, weightDecay: 1e-4, nesterov: false }, true],
    ['Nesterov', { lr: 0.1, momentum: 0.9, weightDecay: 5e-5, nesterov: true }, true],
    ['momentum, no decay', { lr: 0.3, momentum: 0.8, weightDecay: 0, nesterov: false }, true],
    ['no momentum buffer', { lr: 0.05, momentum: 0, weightDecay: 1e-4, nesterov: false }, false],
  ];
  for (const [name, attrs, withBuf] of RULES) {
    for (const size of [1000, 300_001]) {
      it(`SGD, ${name}, ${size} parameters: new parameter and buffer`, async () => {
        const w = values(size, 7);
        const g = values(size, 8);
        const buf = values(size, 9);
        const step = () => {
          const r = sgdMomentumUpdate(tf.tensor(w), tf.tensor(g), withBuf ? tf.tensor(buf) : undefined, attrs);
          return r.buf ? [r.param, r.buf] : [r.param];
        };
        const expected = await valuesOn('cpu', step);
        const got = await valuesOn('wasm', step);
        expect(got.length).toBe(withBuf ? 2 : 1);
        expect(isNativeKernel('TfvSgdMomentum')).toBe(true);
        for (let i = 0; i < got.length; i++) expect(firstDifference(got[i], expected[i])).toBe(-1);
      });
    }
  }

  it('the sum of squares of a gradient list (threaded over chunks) equals the JS loop, and its float64 total', async () => {
    // A parameter-like list: a few large tensors across chunk boundaries beside small ones.
    const arrays = [values(2_400_017, 10), values(3, 11), values(65_536, 12), values(1, 13), values(500_000, 14, 0.5)];
    const run = () => [sumOfSquares(arrays.map((a) => tf.tensor1d(a)))];
    const expected = await valuesOn('cpu', run);
    const got = await valuesOn('wasm', run);
    expect(isNativeKernel('TfvSumOfSquares')).toBe(true);
    expect(firstDifference(got[0], expected[0])).toBe(-1);
    expect(got[0][0]).toBe(Math.fround(sumOfSquaresArrays(arrays)));
    expect(addon!.sumOfSquares(arrays)).toBe(sumOfSquaresArrays(arrays));
  });
});
