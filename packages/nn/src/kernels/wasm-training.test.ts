import * as tf from '@tensorflow/tfjs-core';
import '../gradients.js';
import { registerTfvisionKernels } from './register.js';
import { relativeMaxDiff, seededValues, useBackend } from './test-util.js';

type Pad = 'same' | 'valid' | number;
interface Case {
  name: string;
  x: [number, number, number, number];
  f: [number, number, number, number];
  strides: number;
  pad: Pad;
  depthwise?: boolean;
  transpose?: boolean;
}

const cases: Case[] = [
  { name: 'conv 3x3 stride 1 same', x: [2, 6, 5, 3], f: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { name: 'conv 3x3 stride 2 same (asymmetric)', x: [2, 8, 7, 4], f: [3, 3, 4, 5], strides: 2, pad: 'same' },
  { name: 'conv 7x7 stride 2 pad 3', x: [1, 11, 11, 3], f: [7, 7, 3, 4], strides: 2, pad: 3 },
  { name: 'conv 1x1 stride 2 valid', x: [2, 7, 7, 4], f: [1, 1, 4, 6], strides: 2, pad: 'valid' },
  { name: 'depthwise 3x3 stride 2 same', x: [2, 8, 9, 5], f: [3, 3, 5, 1], strides: 2, pad: 'same', depthwise: true },
  { name: 'depthwise 5x5 stride 1 multiplier 2', x: [1, 7, 7, 3], f: [5, 5, 3, 2], strides: 1, pad: 'same', depthwise: true },
  { name: 'conv2dTranspose 3x3 stride 2 same', x: [2, 4, 4, 3], f: [3, 3, 5, 3], strides: 2, pad: 'same', transpose: true },
];

function grads(c: Case): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(seededValues(c.x.reduce((a, b) => a * b), 11), c.x);
    const f = tf.tensor4d(seededValues(c.f.reduce((a, b) => a * b), 12), c.f);
    const op = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => {
      if (c.depthwise) return tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad);
      if (c.transpose) {
        const outShape: [number, number, number, number] = [c.x[0], c.x[1] * c.strides, c.x[2] * c.strides, c.f[2]];
        return tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, outShape, c.strides, c.pad as 'same');
      }
      return tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad);
    };
    const y = op(x, f);
    const dy = tf.tensor(seededValues(y.size, 13), y.shape);
    const [dx, df] = tf.grads(op)([x, f], dy);
    return [y.dataSync() as Float32Array, dx.dataSync() as Float32Array, df.dataSync() as Float32Array];
  });
}

describe('wasm training kernels (Conv2DBackpropFilter/Input, depthwise backprops)', () => {
  const expected = new Map<string, Float32Array[]>();
  beforeAll(async () => {
    await useBackend('cpu');
    for (const c of cases) expected.set(c.name, grads(c));
    await useBackend('wasm');
    registerTfvisionKernels();
  });

  it('are registered for wasm', () => {
    for (const name of [tf.Conv2DBackpropFilter, tf.Conv2DBackpropInput, tf.DepthwiseConv2dNativeBackpropFilter, tf.DepthwiseConv2dNativeBackpropInput]) {
      expect(tf.getKernel(name, 'wasm')).toBeDefined();
    }
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s: gradients equal the cpu backend to 1e-5', (_name, c) => {
    const [y, dx, df] = grads(c);
    const [wy, wdx, wdf] = expected.get(c.name)!;
    expect(relativeMaxDiff(y, wy)).toBeLessThan(1e-5);
    expect(relativeMaxDiff(dx, wdx)).toBeLessThan(1e-5);
    expect(relativeMaxDiff(df, wdf)).toBeLessThan(1e-5);
  });

  it('BatchMatMul with transposed operands (rewritten on wasm) equals cpu', async () => {
    const run = (): Float32Array[] =>
      tf.tidy(() => {
        const a = tf.tensor3d(seededValues(2 * 5 * 3, 31), [2, 5, 3]);
        const b = tf.tensor3d(seededValues(2 * 5 * 4, 32), [2, 5, 4]);
        const c = tf.tensor3d(seededValues(2 * 4 * 3, 33), [2, 4, 3]);
        return [tf.matMul(a, b, true, false), tf.matMul(a, c, false, true), tf.matMul(b, a, true, false)].map((t) => t.dataSync() as Float32Array);
      });
    const onWasm = run();
    await useBackend('cpu');
    const onCpu = run();
    await useBackend('wasm');
    onWasm.forEach((v, i) => expect(relativeMaxDiff(v, onCpu[i])).toBeLessThan(1e-6));
  });

  it('Sum and Mean over leading axes (matmul on wasm) equal cpu; other axes keep working', async () => {
    const run = (): Float32Array[] =>
      tf.tidy(() => {
        const x = tf.tensor4d(seededValues(3 * 5 * 4 * 6, 41), [3, 5, 4, 6]);
        return [tf.sum(x, [0, 1, 2]), tf.mean(x, [0, 1, 2], true), tf.mean(x, [1, 2]), tf.sum(x, -1), tf.sum(tf.reshape(x, [60, 6]), 0)].map((t) => t.dataSync() as Float32Array);
      });
    const onWasm = run();
    await useBackend('cpu');
    const onCpu = run();
    await useBackend('wasm');
    onWasm.forEach((v, i) => expect(relativeMaxDiff(v, onCpu[i])).toBeLessThan(1e-6));
  });

  it('leaks no tensors', () => {
    grads(cases[1]);
    grads(cases[4]);
    const before = tf.memory().numTensors;
    grads(cases[1]);
    grads(cases[4]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
