import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '../gradients.js';
import { Sequential } from '../module.js';
import { Conv2d } from '../layers/conv.js';
import { BatchNorm2d } from '../layers/batchnorm.js';
import { ReLU } from '../layers/activation.js';
import { checkpoint } from '../checkpoint.js';
import { leanGradients, leanVariableGrads } from './lean-tape.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function net(seed: number, checkpointed: boolean): Sequential {
  const layers = [];
  for (let i = 0; i < 4; i++) {
    const conv = new Conv2d({ inChannels: i === 0 ? 3 : 6, outChannels: 6, kernelSize: 3, bias: i % 2 === 0 });
    conv.weight.assign(tf.tensor(Array.from({ length: conv.weight.size }, (_, k) => Math.sin((k + 1) * (seed + i) * 0.37) * 0.3), conv.weight.shape));
    const bn = new BatchNorm2d({ numFeatures: 6, frozen: i === 1 });
    layers.push(new Sequential([conv, bn, new ReLU()]));
  }
  const m = new Sequential(layers);
  m.checkpointLayers = checkpointed;
  return m;
}

const input = () => tf.tensor4d(Array.from({ length: 2 * 9 * 9 * 3 }, (_, i) => Math.cos(i * 0.29)), [2, 9, 9, 3]);

describe('leanGradients', () => {
  it.each([false, true])('gives engine.gradients\' value and gradients bit for bit (checkpointed %s)', (checkpointed) => {
    const x = input();
    const m = net(3, checkpointed);
    const params = m.trainableParameters();
    const loss = () => tf.sum(tf.square(m.forward(x))) as tf.Scalar;
    const before = tf.memory().numTensors;
    const lean = leanGradients(loss, [x, ...params]);
    const reference = tf.engine().gradients(loss, [x, ...params]);
    expect(lean.value.dataSync()[0]).toBe(reference.value.dataSync()[0]);
    lean.grads.forEach((g, i) => expect(Array.from(g?.dataSync() ?? [])).toEqual(Array.from(reference.grads[i].dataSync())));
    tf.dispose([lean.value, reference.value, ...lean.grads.filter((g): g is tf.Tensor => g !== undefined), ...reference.grads]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('frees saved tensors and used gradients as the backward pass goes; engine.gradients holds them to the end', async () => {
    const x = tf.variable(tf.ones([64, 64]));
    // A chain of 24 element-wise ops, each keeping an input for its gradient; the loss is their sum.
    const chain = () => {
      let y: tf.Tensor = x;
      for (let i = 0; i < 12; i++) y = tf.sin(tf.mul(y, 1.01));
      return tf.sum(y) as tf.Scalar;
    };
    const map = 64 * 64 * 4;
    /** Bytes alive at the backward's first kernel (the forward's tidy has ended), at most during it and at its end, in [64, 64] maps. */
    const backwardBytes = async (run: () => { value: tf.Tensor; grads: (tf.Tensor | undefined)[] }) => {
      const info = await tf.profile(() => {
        const r = run();
        return [r.value, ...r.grads.filter((g): g is tf.Tensor => g !== undefined)];
      });
      const snapshots = info.kernels.map((k) => k.totalBytesSnapshot / map);
      const sum = info.kernels.findIndex((k) => k.name === 'Sum');
      return { start: snapshots[sum + 1], most: Math.max(...snapshots.slice(sum + 1)), end: snapshots[snapshots.length - 1] };
    };
    const lean = await backwardBytes(() => leanGradients(chain, [x]));
    const reference = await backwardBytes(() => tf.engine().gradients(chain, [x]));
    // tfjs: every intermediate's gradient joins the saved tensors (24 more maps, give or take);
    // lean: the backward pass holds at most one node's temporaries more than it started with and ends near empty.
    expect(reference.most - reference.start).toBeGreaterThan(20);
    expect(lean.most - lean.start).toBeLessThanOrEqual(4);
    expect(lean.end).toBeLessThan(reference.end / 4);
    x.dispose();
  });

  it('returns undefined for an x the result does not reach, and says so when nothing is reached', () => {
    const a = tf.scalar(2);
    const b = tf.scalar(3);
    const { value, grads } = leanGradients(() => tf.mul(a, a), [a, b]);
    expect(grads[0]?.dataSync()[0]).toBe(4);
    expect(grads[1]).toBeUndefined();
    tf.dispose([value, grads[0] as tf.Tensor]);
    expect(() => leanGradients(() => tf.mul(a, 2), [b])).toThrow('leanGradients: y does not depend on xs');
    expect(() => leanGradients(() => tf.mul(a, 2), [])).toThrow('leanGradients: xs is empty');
  });

  it('works nested in a checkpoint\'s backward pass, with the outer tape intact', () => {
    const x = input();
    const plain = net(5, false);
    const params = plain.trainableParameters();
    const loss = () => tf.sum(tf.square(checkpoint(plain, x))) as tf.Scalar;
    const outer = leanGradients(loss, params);
    const reference = tf.engine().gradients(() => tf.sum(tf.square(plain.forward(x))) as tf.Scalar, params);
    outer.grads.forEach((g, i) => {
      const want = reference.grads[i].dataSync();
      Array.from(g?.dataSync() ?? []).forEach((v, j) => expect(Math.abs(v - want[j])).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(want[j]))));
    });
  });
});

describe('leanVariableGrads', () => {
  it('gives tf.variableGrads\' gradients by variable name', () => {
    const w = tf.variable(tf.tensor1d([1, 2, 3]), true, 'lean_w');
    const frozen = tf.variable(tf.tensor1d([4, 5, 6]), false, 'lean_frozen');
    const f = () => tf.sum(tf.mul(tf.square(w), frozen)) as tf.Scalar;
    const lean = leanVariableGrads(f, [w, frozen]);
    expect(Object.keys(lean.grads)).toEqual(['lean_w']);
    expect(Array.from(lean.grads.lean_w.dataSync())).toEqual(Array.from(tf.variableGrads(f, [w]).grads.lean_w.dataSync()));
    expect(() => leanVariableGrads(f, [frozen])).toThrow('leanVariableGrads: none of the 1 variables is trainable');
    expect(() => leanVariableGrads(() => tf.square(w) as unknown as tf.Scalar, [w])).toThrow('leanVariableGrads: f must return a scalar, got shape [3]');
  });
});
