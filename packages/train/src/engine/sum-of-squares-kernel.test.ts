import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { SUM_OF_SQUARES_CHUNK, sumOfSquares, sumOfSquaresArrays } from './sum-of-squares-kernel.js';
import { clipGradNorm } from './grad-clip.js';

describe('TfvSumOfSquares', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('sums the squares of every tensor of a list: 3-4-5 and 1-2-2 give 25 + 9', () => {
    const s = sumOfSquares([tf.tensor1d([3, 4]), tf.tensor2d([[1, 2], [2, 0]])]);
    expect(s.shape).toEqual([]);
    expect(s.dataSync()[0]).toBe(34);
  });

  it('an empty list is 0, and the loops sum chunk by chunk in float64', () => {
    expect(sumOfSquares([]).dataSync()[0]).toBe(0);
    // 2 chunks and a bit of 0.1: float64 partial sums, then one rounding to float32.
    const n = 2 * SUM_OF_SQUARES_CHUNK + 5;
    const a = new Float32Array(n).fill(0.1);
    const f = Math.fround(0.1) ** 2;
    let first = 0;
    for (let i = 0; i < SUM_OF_SQUARES_CHUNK; i++) first += f;
    let tail = 0;
    for (let i = 0; i < 5; i++) tail += f;
    expect(sumOfSquaresArrays([a])).toBe(first + first + tail);
    expect(sumOfSquares([tf.tensor1d(a)]).dataSync()[0]).toBe(Math.fround(first + first + tail));
  });

  it('stops on a non-float32 input with its index', () => {
    expect(() => sumOfSquares([tf.tensor1d([1]), tf.tensor1d([1], 'int32')])).toThrow('TfvSumOfSquares: input 1 must be float32, got int32');
  });

  it('clipGradNorm reads the norm from it: sqrt(34) clipped to 1 scales by 1 / (sqrt(34) + 1e-6)', () => {
    const g = new Map<string, tf.Tensor>([['a', tf.tensor1d([3, 4])], ['b', tf.tensor1d([1, 2, 2, 0])]]);
    const { grads, norm } = clipGradNorm(g, 1);
    expect(norm).toBeCloseTo(Math.sqrt(34), 6);
    const coef = 1 / (Math.sqrt(34) + 1e-6);
    const a = grads.get('a')!.dataSync();
    expect(a[0]).toBeCloseTo(3 * coef, 6);
    expect(a[1]).toBeCloseTo(4 * coef, 6);
  });
});
