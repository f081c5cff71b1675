import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { initBackend } from '../backend.js';
import { crossEntropy } from './cross-entropy.js';
import { mismatch, readJsonFixture } from '../testing/torch-reference.js';
import { flat, runCrossEntropyCase, type LossFixture } from '../testing/loss-cases.js';

const fixture = readJsonFixture<LossFixture>(join(__dirname, 'testdata', 'losses.json'));

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

const LN2 = Math.log(2);
const LN3 = Math.log(3);
/** Row 0: softmax [1/6, 2/6, 3/6]; row 1: uniform; row 2 is ignored in the tests that use it. */
const LOGITS = [[0, LN2, LN3], [0, 0, 0], [5, -5, 0]];

function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

describe('crossEntropy by hand', () => {
  it('gives -log p of the label, averaged, summed or per sample', () => {
    const logits = tf.tensor2d(LOGITS.slice(0, 2));
    const labels = Int32Array.from([2, 0]);
    expect(crossEntropy(logits, labels).dataSync()[0]).toBeCloseTo((LN2 + LN3) / 2, 6);
    expect(crossEntropy(logits, labels, { reduction: 'sum' }).dataSync()[0]).toBeCloseTo(LN2 + LN3, 6);
    const none = crossEntropy(logits, tf.tensor1d([2, 0], 'int32'), { reduction: 'none' });
    expect(none.shape).toEqual([2]);
    expect(values(none)[0]).toBeCloseTo(LN2, 6);
    expect(values(none)[1]).toBeCloseTo(LN3, 6);
  });

  it('divides a weighted mean by the summed weights of the counted labels, skipping ignoreIndex', () => {
    const logits = tf.tensor2d(LOGITS);
    const weight = tf.tensor1d([1, 2, 3]);
    const labels = Int32Array.from([2, 0, -100]);
    // Row 0: w_2 = 3, row 1: w_0 = 1, row 2 ignored.
    expect(crossEntropy(logits, labels, { weight }).dataSync()[0]).toBeCloseTo((3 * LN2 + LN3) / 4, 6);
    expect(crossEntropy(logits, labels, { weight, reduction: 'sum' }).dataSync()[0]).toBeCloseTo(3 * LN2 + LN3, 5);
    const none = values(crossEntropy(logits, labels, { weight, reduction: 'none' }));
    expect(none[0]).toBeCloseTo(3 * LN2, 5);
    expect(none[1]).toBeCloseTo(LN3, 6);
    expect(none[2]).toBe(0);
    // A class index as ignoreIndex: row 1 (label 0) drops out.
    expect(crossEntropy(logits, Int32Array.from([2, 0, 1]), { ignoreIndex: 0, reduction: 'sum' }).dataSync()[0]).toBeCloseTo(LN2 + (10 + Math.log(1 + Math.exp(-5) + Math.exp(-10))), 5);
  });

  it('has gradient w_y (softmax - onehot) / sum w', () => {
    const logits = tf.tensor2d(LOGITS.slice(0, 2));
    const weight = tf.tensor1d([1, 2, 3]);
    const g = values(tf.grad((x: tf.Tensor) => crossEntropy(x as tf.Tensor2D, Int32Array.from([2, 0]), { weight }))(logits));
    const expected = [3 * (1 / 6), 3 * (2 / 6), 3 * (3 / 6 - 1), 1 / 3 - 1, 1 / 3, 1 / 3].map((v) => v / 4);
    expect(mismatch(g, expected, { atol: 1e-6 })).toBeNull();
  });

  it('smooths labels as timm does: (1 - s) nll + s/C sum(-log p)', () => {
    const logits = tf.tensor2d(LOGITS.slice(0, 1));
    const s = 0.3;
    const expected = (1 - s) * LN2 + (s / 3) * (Math.log(6) + LN3 + LN2);
    expect(crossEntropy(logits, Int32Array.from([2]), { labelSmoothing: s }).dataSync()[0]).toBeCloseTo(expected, 6);
    // The same as the train recipe's smoothed targets (timm: s/C off, 1 - s + s/C on).
    const soft = tf.tensor2d([[s / 3, s / 3, 1 - s + s / 3]]);
    expect(crossEntropy(logits, soft).dataSync()[0]).toBeCloseTo(expected, 6);
  });

  it('takes probability targets, means over N even with class weights', () => {
    const logits = tf.tensor2d(LOGITS.slice(0, 2));
    const probs = tf.tensor2d([[0.5, 0, 0.5], [0, 1, 0]]);
    const weight = tf.tensor1d([2, 1, 1]);
    const row0 = -(0.5 * 2 * Math.log(1 / 6) + 0.5 * Math.log(1 / 2));
    expect(crossEntropy(logits, probs, { weight }).dataSync()[0]).toBeCloseTo((row0 + LN3) / 2, 6);
  });

  it('is NaN for a mean over no counted label (as torch) and 0 for the sum', () => {
    const logits = tf.tensor2d(LOGITS.slice(0, 2));
    expect(crossEntropy(logits, Int32Array.from([-100, -100])).dataSync()[0]).toBeNaN();
    expect(crossEntropy(logits, Int32Array.from([-100, -100]), { reduction: 'sum' }).dataSync()[0]).toBe(0);
  });

  it('stays finite at logits of +-100 and 1e4', () => {
    const logits = tf.tensor2d([[100, -100], [-1e4, 1e4]]);
    const v = values(crossEntropy(logits, Int32Array.from([1, 0]), { reduction: 'none' }));
    expect(v[0]).toBeCloseTo(200, 4);
    expect(v[1]).toBeCloseTo(2e4, 1);
  });

  it('ignores a -inf logit outside the label column (masked classes), value and gradient', () => {
    const logits = tf.tensor2d([[-Infinity, 0, 0]]);
    expect(crossEntropy(logits, Int32Array.from([1])).dataSync()[0]).toBeCloseTo(LN2, 6);
    const g = values(tf.grad((x: tf.Tensor) => crossEntropy(x as tf.Tensor2D, Int32Array.from([1])))(logits));
    expect(mismatch(g, [0, -0.5, 0.5])).toBeNull();
  });

  it('leaks no tensor, forward or backward', () => {
    const logits = tf.tensor2d(LOGITS);
    const weight = tf.tensor1d([1, 2, 3]);
    const labels = tf.tensor1d([2, 0, -100], 'int32');
    const before = tf.memory().numTensors;
    crossEntropy(logits, labels, { weight, labelSmoothing: 0.1 }).dispose();
    crossEntropy(logits, Int32Array.from([1, 1, 1]), { reduction: 'none' }).dispose();
    tf.grad((x: tf.Tensor) => crossEntropy(x as tf.Tensor2D, labels, { weight }))(logits).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad input with one line naming the argument', () => {
    const logits = tf.tensor2d(LOGITS);
    expect(() => crossEntropy(logits, Int32Array.from([0, 3, 1]))).toThrow('crossEntropy: labels[1] = 3 is outside 0..2 and is not ignoreIndex -100');
    expect(() => crossEntropy(logits, Int32Array.from([0, 1]))).toThrow('crossEntropy: 3 rows of logits but 2 labels');
    expect(() => crossEntropy(logits, tf.tensor1d([0, 1, 2]))).toThrow('crossEntropy: labels must be int32, got float32');
    expect(() => crossEntropy(logits, Int32Array.from([0, 1, 2]), { weight: tf.tensor1d([1, 2]) })).toThrow('crossEntropy: weight must be [3] (one per class), got shape [2]');
    expect(() => crossEntropy(logits, Int32Array.from([0, 1, 2]), { labelSmoothing: 1.5 })).toThrow('crossEntropy: labelSmoothing must be in [0, 1], got 1.5');
    expect(() => crossEntropy(logits, Int32Array.from([0, 1, 2]), { reduction: 'avg' as 'mean' })).toThrow("crossEntropy: reduction must be 'mean', 'sum' or 'none', got 'avg'");
    expect(() => crossEntropy(logits, tf.zeros([3, 4]) as tf.Tensor2D)).toThrow('crossEntropy: logits [3,3] and targets [3,4] differ');
    expect(() => crossEntropy(logits, tf.zeros([3, 3]) as tf.Tensor2D, { ignoreIndex: 0 })).toThrow('crossEntropy: ignoreIndex is not supported with probability targets, got 0');
    expect(() => crossEntropy(tf.zeros([3]) as unknown as tf.Tensor2D, Int32Array.from([0]))).toThrow('crossEntropy: logits must be [N, C], got shape [3]');
  });

  it('makes a device label out of range NaN for its sample instead of reading labels back', () => {
    const v = values(crossEntropy(tf.tensor2d(LOGITS), tf.tensor1d([0, 7, -100], 'int32'), { reduction: 'none' }));
    expect(v[1]).toBeNaN();
    expect(Number.isFinite(v[0])).toBe(true);
    expect(v[2]).toBe(0);
  });
});

describe('crossEntropy against torch 1.13 (fixture from tools/reference/losses.py)', () => {
  it('covers every reduction, weights, ignore index, smoothing, soft targets and +-100 logits', () => {
    expect(fixture.crossEntropy.length).toBe(27);
    expect(new Set(fixture.crossEntropy.map((c) => c.options.reduction))).toEqual(new Set(['mean', 'sum', 'none']));
  });
  for (const c of fixture.crossEntropy) {
    for (const hostLabels of c.soft ? [false] : [false, true]) {
      it(`${c.name}${hostLabels ? ' (host labels)' : ''}: value and gradient`, () => {
        const ours = runCrossEntropyCase(c, hostLabels);
        expect(mismatch(ours.loss, flat(c.loss))).toBeNull();
        expect(mismatch(ours.grad, flat(c.grad))).toBeNull();
      });
    }
  }
});
