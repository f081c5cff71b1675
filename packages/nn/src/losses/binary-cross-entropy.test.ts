import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { initBackend } from '../backend.js';
import { binaryCrossEntropyWithLogits } from './binary-cross-entropy.js';
import { mismatch, readJsonFixture } from '../testing/torch-reference.js';
import { flat, runBinaryCrossEntropyCase, type LossFixture } from '../testing/loss-cases.js';

const fixture = readJsonFixture<LossFixture>(join(__dirname, 'testdata', 'losses.json'));

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe('binaryCrossEntropyWithLogits by hand', () => {
  it('is -[t log s(x) + (1 - t) log(1 - s(x))], per element, summed or averaged', () => {
    const x = tf.tensor2d([[0, 2], [-1, 3]]);
    const t = tf.tensor2d([[1, 0], [0.25, 1]]);
    const expected = [Math.LN2, Math.log(1 + Math.exp(2)), -(0.25 * Math.log(sigmoid(-1)) + 0.75 * Math.log(1 - sigmoid(-1))), Math.log(1 + Math.exp(-3))];
    const none = binaryCrossEntropyWithLogits(x, t, { reduction: 'none' });
    expect(none.shape).toEqual([2, 2]);
    expect(mismatch(values(none), expected)).toBeNull();
    const total = expected.reduce((a, b) => a + b, 0);
    expect(binaryCrossEntropyWithLogits(x, t, { reduction: 'sum' }).dataSync()[0]).toBeCloseTo(total, 5);
    expect(binaryCrossEntropyWithLogits(x, t).dataSync()[0]).toBeCloseTo(total / 4, 6);
  });

  it('weights the positive term by posWeight per class and each element by weight', () => {
    const x = tf.tensor2d([[0, 0]]);
    const t = tf.tensor2d([[1, 0]]);
    const v = values(binaryCrossEntropyWithLogits(x, t, { posWeight: tf.tensor1d([3, 5]), weight: tf.tensor2d([[2, 0.5]]), reduction: 'none' }));
    // Positive: 3 · ln 2 · weight 2; negative (posWeight does not apply): ln 2 · 0.5.
    expect(mismatch(v, [6 * Math.LN2, 0.5 * Math.LN2])).toBeNull();
  });

  it('is exact and finite at logits of +-100 (no log(0)), with gradient s(x) - t', () => {
    const x = tf.tensor1d([100, -100, 100, -100]);
    const t = tf.tensor1d([0, 1, 1, 0]);
    expect(mismatch(values(binaryCrossEntropyWithLogits(x, t, { reduction: 'none' })), [100, 100, 0, 0], { atol: 1e-5 })).toBeNull();
    const g = values(tf.grad((v: tf.Tensor) => binaryCrossEntropyWithLogits(v, t, { reduction: 'sum' }))(x));
    expect(mismatch(g, [1, -1, 0, 0])).toBeNull();
  });

  it('has gradient (lw s(x) - pw t) / count for the mean with posWeight', () => {
    const x = tf.tensor2d([[0.5, -2]]);
    const t = tf.tensor2d([[1, 0.5]]);
    const pw = [2, 4];
    const g = values(tf.grad((v: tf.Tensor) => binaryCrossEntropyWithLogits(v, t, { posWeight: tf.tensor1d(pw) }))(x));
    const expected = [0, 1].map((i) => {
      const xi = [0.5, -2][i];
      const ti = [1, 0.5][i];
      const lw = (pw[i] - 1) * ti + 1;
      return (lw * sigmoid(xi) - pw[i] * ti) / 2;
    });
    expect(mismatch(g, expected)).toBeNull();
  });

  it('leaks no tensor, forward or backward', () => {
    const x = tf.tensor2d([[0.5, -2]]);
    const t = tf.tensor2d([[1, 0.5]]);
    const pw = tf.tensor1d([2, 4]);
    const before = tf.memory().numTensors;
    binaryCrossEntropyWithLogits(x, t, { posWeight: pw }).dispose();
    tf.grad((v: tf.Tensor) => binaryCrossEntropyWithLogits(v, t, { posWeight: pw, reduction: 'sum' }))(x).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad input with one line naming the argument', () => {
    const x = tf.zeros([2, 3]);
    expect(() => binaryCrossEntropyWithLogits(x, tf.zeros([2, 4]))).toThrow('binaryCrossEntropyWithLogits: logits [2,3] and targets [2,4] differ');
    expect(() => binaryCrossEntropyWithLogits(x, tf.zeros([2, 3], 'int32'))).toThrow('binaryCrossEntropyWithLogits: targets must be float32, got int32');
    expect(() => binaryCrossEntropyWithLogits(x, tf.zeros([2, 3]), { posWeight: tf.ones([2]) })).toThrow('binaryCrossEntropyWithLogits: posWeight of shape [2] does not broadcast to [2,3]');
    expect(() => binaryCrossEntropyWithLogits(x, tf.zeros([2, 3]), { weight: tf.ones([1, 2, 3]) })).toThrow('binaryCrossEntropyWithLogits: weight of shape [1,2,3] does not broadcast to [2,3]');
    expect(() => binaryCrossEntropyWithLogits(x, tf.zeros([2, 3]), { reduction: 'batchmean' as 'mean' })).toThrow("binaryCrossEntropyWithLogits: reduction must be 'mean', 'sum' or 'none', got 'batchmean'");
  });
});

describe('binaryCrossEntropyWithLogits against torch 1.13 (fixture from tools/reference/losses.py)', () => {
  it('covers every reduction with posWeight, weight and +-100 logits', () => {
    expect(fixture.binaryCrossEntropyWithLogits.length).toBe(18);
  });
  for (const c of fixture.binaryCrossEntropyWithLogits) {
    it(`${c.name}: value and gradient`, () => {
      const ours = runBinaryCrossEntropyCase(c);
      expect(mismatch(ours.loss, flat(c.loss))).toBeNull();
      expect(mismatch(ours.grad, flat(c.grad))).toBeNull();
    });
  }
});
