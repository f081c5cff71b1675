import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Sequential } from './module.js';
import { Conv2d } from './layers/conv.js';
import { BatchNorm2d } from './layers/batchnorm.js';
import { DropBlock } from './blocks/drop-block.js';
import { checkpoint, isRecomputing } from './checkpoint.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function block(): Sequential {
  const conv = new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3 });
  conv.weight.assign(tf.tensor(Array.from({ length: conv.weight.size }, (_, i) => Math.sin(i * 0.7)), conv.weight.shape));
  return new Sequential([conv, new BatchNorm2d({ numFeatures: 4 }), new DropBlock({ rate: 0.4, blockSize: 3, seed: 11 })]);
}

it('a seeded DropBlock draws the same mask when its block is recomputed', () => {
  const x = tf.tensor4d(Array.from({ length: 2 * 8 * 8 * 3 }, (_, i) => Math.cos(i * 0.3)), [2, 8, 8, 3]);
  const grads = (m: Sequential, ckpt: boolean) => {
    const params = m.trainableParameters();
    const { value, grads: g } = tf.variableGrads(() => tf.sum(tf.square(ckpt ? checkpoint(m, x) : m.forward(x))) as tf.Scalar, params);
    return [value.dataSync()[0], ...params.map((p) => Array.from(g[p.name].dataSync()))] as const;
  };
  const [lossPlain, ...gPlain] = grads(block(), false);
  const [lossCkpt, ...gCkpt] = grads(block(), true);
  expect(lossCkpt).toBeCloseTo(lossPlain, 5);
  gPlain.forEach((g, i) => (g as number[]).forEach((v, j) => expect(Math.abs(v - (gCkpt[i] as number[])[j])).toBeLessThan(1e-4 * (1 + Math.abs(v)))));
});

it('runs the plain forward outside a tape and is not recomputing then', () => {
  const m = block().eval();
  const x = tf.ones([1, 5, 5, 3]) as tf.Tensor4D;
  expect(Array.from(checkpoint(m, x).dataSync())).toEqual(Array.from(m.forward(x).dataSync()));
  expect(isRecomputing()).toBe(false);
});
