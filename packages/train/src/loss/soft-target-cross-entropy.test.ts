import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { softTargetCrossEntropy } from './soft-target-cross-entropy.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('softTargetCrossEntropy', () => {
  it('equals the hand value for smoothed targets', () => {
    // logits [0, ln 2, ln 3] -> softmax [1/6, 2/6, 3/6]; targets [0.05, 0.05, 0.9]
    const logits = tf.tensor2d([[0, Math.log(2), Math.log(3)]]);
    const targets = tf.tensor2d([[0.05, 0.05, 0.9]]);
    const expected = -(0.05 * Math.log(1 / 6) + 0.05 * Math.log(2 / 6) + 0.9 * Math.log(3 / 6));
    expect(softTargetCrossEntropy(logits, targets).dataSync()[0]).toBeCloseTo(expected, 5);
  });
  it('averages over the batch and stays finite for huge logits', () => {
    const logits = tf.tensor2d([[1000, 0], [0, 0]]);
    const targets = tf.tensor2d([[0, 1], [0.5, 0.5]]);
    // row 1: -log softmax_1 = 1000; row 2: ln 2
    expect(softTargetCrossEntropy(logits, targets).dataSync()[0]).toBeCloseTo((1000 + Math.LN2) / 2, 3);
  });
  it('rejects mismatched shapes', () => {
    expect(() => softTargetCrossEntropy(tf.zeros([2, 3]) as tf.Tensor2D, tf.zeros([2, 4]) as tf.Tensor2D)).toThrow('logits [2,3] and targets [2,4] differ');
  });
});
