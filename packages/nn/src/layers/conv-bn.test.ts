import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '../backend.js';
import { Conv2d } from './conv.js';
import { BatchNorm2d } from './batchnorm.js';
import { ReLU } from './activation.js';
import { Sequential } from '../module.js';
import { DropBlock } from '../blocks/drop-block.js';
import { convBn, forwardFolded } from './conv-bn.js';

const seeded = (shape: number[], seed: number, scale = 1) => tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b) }, (_, i) => Math.sin(i * 1.37 + seed) * scale), shape);

function pair(o: { c: number; k: number; out: number; groups?: number; stride?: number; dilation?: number; bias?: boolean }): [Conv2d, BatchNorm2d] {
  const conv = new Conv2d({ inChannels: o.c, outChannels: o.out, kernelSize: o.k, groups: o.groups, stride: o.stride, dilation: o.dilation, bias: o.bias });
  conv.weight.assign(seeded(conv.weight.shape, 0.4, 0.3));
  conv.bias?.assign(seeded([o.out], 2.2));
  const bn = new BatchNorm2d({ numFeatures: o.out });
  bn.weight.assign(seeded([o.out], 1.1));
  bn.bias.assign(seeded([o.out], 0.7));
  bn.runningMean.assign(seeded([o.out], 3.3, 0.5));
  bn.runningVar.assign(tf.add(tf.abs(seeded([o.out], 5.1)), 0.2));
  return [conv, bn];
}

const maxRel = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / Math.max(1e-12, tf.max(tf.abs(a)).dataSync()[0]);

describe.each(['cpu', 'wasm'])('convBn on %s', (backend) => {
  beforeAll(async () => {
    await initBackend({ backend, report: false });
  });

  it.each([
    { name: 'dense 3x3 (fused conv + bias + relu)', c: 8, k: 3, out: 32 },
    { name: 'dense 1x1 stride 2 with conv bias', c: 64, k: 1, out: 64, stride: 2, bias: true },
    { name: 'grouped 32x4', c: 128, k: 3, out: 128, groups: 32 },
    { name: 'radix-2 grouped, dilated', c: 16, k: 3, out: 32, groups: 2, dilation: 2 },
  ])('eval: $name equals relu(bn(conv(x)))', (o) => {
    const [conv, bn] = pair(o);
    conv.eval();
    bn.eval();
    const x = seeded([2, 9, 9, o.c], 0.9) as tf.Tensor4D;
    const want = tf.relu(bn.forward(conv.forward(x)));
    expect(maxRel(want, convBn(conv, bn, x, 'relu'))).toBeLessThan(1e-5);
    expect(maxRel(bn.forward(conv.forward(x)), convBn(conv, bn, x))).toBeLessThan(1e-5);
    conv.dispose();
    bn.dispose();
  });

  it('recomputes the fold after a weight or statistic is assigned, and frees it on dispose', () => {
    const [conv, bn] = pair({ c: 8, k: 3, out: 32 });
    bn.eval();
    const x = seeded([1, 6, 6, 8], 0.2) as tf.Tensor4D;
    tf.dispose(convBn(conv, bn, x));
    const cached = tf.memory().numTensors;
    tf.dispose(convBn(conv, bn, x));
    expect(tf.memory().numTensors).toBe(cached); // cache hit: nothing new kept
    bn.runningMean.assign(tf.add(bn.runningMean, 1));
    expect(maxRel(bn.forward(conv.forward(x)), convBn(conv, bn, x))).toBeLessThan(1e-5);
    conv.weight.assign(tf.mul(conv.weight, -2));
    expect(maxRel(bn.forward(conv.forward(x)), convBn(conv, bn, x))).toBeLessThan(1e-5);
    const before = tf.memory().numTensors;
    conv.dispose();
    // the weight and the two folded tensors
    expect(before - tf.memory().numTensors).toBe(3);
    bn.dispose();
  });

  it('disposing a whole model frees the folded weights of its convolutions', () => {
    const freedByDispose = (fold: boolean) => {
      const [conv, bn] = pair({ c: 8, k: 3, out: 32 });
      const model = new Sequential([conv, bn]).eval();
      const x = seeded([1, 6, 6, 8], 0.2) as tf.Tensor4D;
      if (fold) tf.dispose(forwardFolded(model.layers, x));
      const before = tf.memory().numTensors;
      model.dispose();
      x.dispose();
      return before - tf.memory().numTensors;
    };
    // the same variables either way, plus the folded weight and bias
    expect(freedByDispose(true) - freedByDispose(false)).toBe(2);
  });

  it('switching back to training frees the folded weights (a train/eval cycle keeps no tensors)', () => {
    const [conv, bn] = pair({ c: 8, k: 3, out: 32 });
    const x = seeded([1, 6, 6, 8], 0.2) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    conv.eval();
    bn.eval();
    tf.dispose(convBn(conv, bn, x));
    expect(tf.memory().numTensors).toBe(before + 2);
    conv.train();
    expect(tf.memory().numTensors).toBe(before);
    conv.dispose();
    bn.dispose();
  });

  it('frozen BN under a tape: gradients reach the conv weight as without folding', () => {
    const [conv, bn] = pair({ c: 8, k: 3, out: 32 });
    bn.setFrozen(true);
    const x = seeded([2, 5, 5, 8], 1.3) as tf.Tensor4D;
    const r = seeded([2, 5, 5, 32], 0.1);
    const loss = (f: () => tf.Tensor) => () => tf.sum(tf.mul(f(), r)) as tf.Scalar;
    const plain = tf.variableGrads(loss(() => tf.relu(bn.forward(conv.forward(x)))), [conv.weight]);
    const folded = tf.variableGrads(loss(() => convBn(conv, bn, x, 'relu')), [conv.weight]);
    expect(maxRel(plain.grads[conv.weight.name], folded.grads[conv.weight.name])).toBeLessThan(1e-5);
    expect(Math.abs(plain.value.dataSync()[0] - folded.value.dataSync()[0]) / Math.abs(plain.value.dataSync()[0])).toBeLessThan(1e-5);
  });

  it('BN in training mode or an active DropBlock: the unfolded path, running stats updated', () => {
    const [conv, bn] = pair({ c: 8, k: 3, out: 32 });
    const x = seeded([2, 6, 6, 8], 0.5) as tf.Tensor4D;
    const before = bn.runningMean.dataSync().slice();
    tf.dispose(convBn(conv, bn, x, 'relu'));
    expect(Array.from(bn.runningMean.dataSync())).not.toEqual(Array.from(before));
    bn.eval();
    const drop = new DropBlock({ rate: 0.5, blockSize: 3 });
    const y = convBn(conv, bn, x, 'relu', drop); // training DropBlock: zeros appear
    expect(tf.sum(tf.equal(y, 0)).dataSync()[0]).toBeGreaterThan(tf.sum(tf.equal(convBn(conv, bn, x, 'relu'), 0)).dataSync()[0]);
    drop.eval();
    expect(maxRel(tf.relu(bn.forward(conv.forward(x))), convBn(conv, bn, x, 'relu', drop))).toBeLessThan(1e-5);
  });

  it('forwardFolded runs conv-bn-relu chains like the layers one by one', () => {
    const [c1, b1] = pair({ c: 3, k: 3, out: 32 });
    const [c2, b2] = pair({ c: 32, k: 3, out: 32 });
    const layers = [c1, b1, new ReLU(), c2, b2];
    for (const l of layers) l.eval();
    const x = seeded([1, 8, 8, 3], 0.6) as tf.Tensor4D;
    let want: tf.Tensor = x;
    for (const l of layers) want = l.forward(want as tf.Tensor4D);
    expect(maxRel(want, forwardFolded(layers, x))).toBeLessThan(1e-5);
  });
});
