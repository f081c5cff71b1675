import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '../gradients.js';
import { biasAdd, constantChannelAffine, registerLeanReluGradient } from './lean-ops.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerLeanReluGradient();
});

const ramp = (shape: number[], k: number) => tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * k) * 2), shape);

interface TapeNodeView {
  saved?: tf.Tensor[];
}

/**
 * Shapes of what the tape saved for the ops `f` ran (clones whose bytes a backend may or may
 * not share with the originals: the wasm backend shares, cpu copies).
 */
function savedByTape(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor): number[][] {
  const shapes: number[][] = [];
  const g = tf.grad((input: tf.Tensor) => {
    const tape = (tf.engine() as unknown as { state: { activeTape: TapeNodeView[] } }).state.activeTape;
    const before = tape.length;
    const y = f(input);
    for (const node of tape.slice(before)) for (const t of node.saved ?? []) shapes.push(t.shape);
    return tf.sum(y);
  })(x);
  g.dispose();
  return shapes;
}

describe('the Relu gradient from its output', () => {
  it('equals dy * step(x), also at 0 and for NaN', () => {
    const x = tf.tensor1d([-2, -0, 0, 1e-30, 3, Number.NaN, -Number.NaN, Number.POSITIVE_INFINITY]);
    const dy = tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8]);
    const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.relu(t), dy)))(x);
    const expected = Array.from(x.dataSync(), (v, i) => (Number.isNaN(v) ? Number.NaN : v > 0 ? dy.dataSync()[i] : 0));
    expect(Array.from(dx.dataSync())).toEqual(expected);
  });

  it('keeps its output (which the next layer keeps anyway), not its input', () => {
    const x = ramp([2, 8, 8, 4], 0.37);
    const y = tf.relu(x);
    const g = tf.grad((t: tf.Tensor) => {
      const tape = (tf.engine() as unknown as { state: { activeTape: (TapeNodeView & { kernelName: string })[] } }).state.activeTape;
      const out = tf.relu(t);
      const node = tape[tape.length - 1];
      expect(node.kernelName).toBe('Relu');
      expect(node.saved).toHaveLength(1);
      expect(Array.from(node.saved?.[0].dataSync() ?? [])).toEqual(Array.from(y.dataSync()));
      return tf.sum(out);
    })(x);
    g.dispose();
  });
});

describe('biasAdd', () => {
  it('gives tf.add\'s value and gradients exactly', () => {
    const x = ramp([2, 3, 5, 4], 0.71);
    const b = tf.tensor1d([0.5, -1, 2, 0.25]);
    const dy = ramp([2, 3, 5, 4], 1.3);
    const [gx, gb] = tf.grads((a: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(biasAdd(a, c as tf.Tensor1D), dy)))([x, b]);
    const [rx, rb] = tf.grads((a: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(tf.add(a, c), dy)))([x, b]);
    expect(Array.from(biasAdd(x, b).dataSync())).toEqual(Array.from(tf.add(x, b).dataSync()));
    expect(Array.from(gx.dataSync())).toEqual(Array.from(rx.dataSync()));
    expect(Array.from(gb.dataSync())).toEqual(Array.from(rb.dataSync()));
  });

  it('keeps nothing for the backward pass (tf.add keeps both inputs)', () => {
    const b = tf.tensor1d([1, 2, 3, 4]);
    const x = ramp([2, 6, 6, 4], 0.2);
    expect(savedByTape((t) => biasAdd(t, b), x)).toEqual([]);
    expect(savedByTape((t) => tf.add(t, b), x)).toEqual([[2, 6, 6, 4], [4]]);
  });

  it('names a bias of the wrong shape', () => {
    expect(() => biasAdd(tf.zeros([1, 2, 2, 3]), tf.zeros([4]) as tf.Tensor1D)).toThrow('biasAdd: bias must be [3] (the last axis of x [1, 2, 2, 3]), got [4]');
  });
});

describe('constantChannelAffine', () => {
  it('gives x * scale + shift and dx = dy * scale, as tfjs computes them', () => {
    const x = ramp([2, 4, 4, 3], 0.53);
    const scale = tf.tensor1d([0.5, -2, 3]);
    const shift = tf.tensor1d([1, 0, -1]);
    const dy = ramp([2, 4, 4, 3], 0.9);
    const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(constantChannelAffine(t, scale, shift), dy)))(x);
    const rx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.mul(t, scale), shift), dy)))(x);
    expect(Array.from(constantChannelAffine(x, scale, shift).dataSync())).toEqual(Array.from(tf.add(tf.mul(x, scale), shift).dataSync()));
    expect(Array.from(dx.dataSync())).toEqual(Array.from(rx.dataSync()));
  });

  it('keeps only the scale (tfjs keeps x and x * scale)', () => {
    const scale = tf.tensor1d([1, 2]);
    const shift = tf.tensor1d([0, 1]);
    const x = ramp([2, 5, 5, 2], 0.4);
    expect(savedByTape((t) => constantChannelAffine(t, scale, shift), x)).toEqual([[2]]);
    expect(savedByTape((t) => tf.add(tf.mul(t, scale), shift), x)).toEqual([[2, 5, 5, 2], [2], [2, 5, 5, 2], [2]]);
  });

  it('names a shift of the wrong shape', () => {
    expect(() => constantChannelAffine(tf.zeros([1, 2, 2, 3]), tf.ones([3]) as tf.Tensor1D, tf.zeros([2]) as tf.Tensor1D)).toThrow('constantChannelAffine: shift must be [3] (the last axis of x [1, 2, 2, 3]), got [2]');
  });
});
