/**
 * Gradient checkpointing recomputes each block in the backward pass. Its defining property: the
 * loss, every gradient and the BatchNorm running statistics equal those of the plain pass,
 * with DropBlock, drop path and dropout drawing random masks (the recomputation must replay
 * them), and no tensor is left behind.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setInitSeed } from '@tfvision/nn';
import { ResNet, RESNET_VARIANTS, getModelEntry, createBackbone, type Backbone } from './index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function tinyResNest(gradCheckpointing: boolean): Backbone {
  setInitSeed(7);
  return new ResNet(
    { ...RESNET_VARIANTS.resnest14d.args, layers: [1, 1, 2, 1], channels: [4, 8, 8, 16], stemWidth: 8, stemStride: 1, stemPool: false },
    { numClasses: 3, dropBlockRate: 0.3, dropPathRate: 0.2, dropRate: 0.3, zeroInitLastBn: false, gradCheckpointing },
    getModelEntry('resnest14d').defaultCfg,
  );
}

/** A deterministic Math.random for the step, so both passes draw the same masks. */
function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function step(model: Backbone, x: tf.Tensor4D, labels: tf.Tensor2D): { loss: number; grads: Map<string, Float32Array> } {
  const original = Math.random;
  Math.random = seededRandom(42);
  try {
    const named = model.namedParameters().filter(([, v]) => v.trainable);
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, model.forward(x)) as tf.Scalar, named.map(([, v]) => v));
    const out = new Map<string, Float32Array>();
    for (const [name, v] of named) out.set(name, grads[v.name].dataSync() as Float32Array);
    const loss = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads)]);
    return { loss, grads: out };
  } finally {
    Math.random = original;
  }
}

it('gives the same loss, gradients and BN running statistics as the plain backward pass, with random masks', () => {
  const plain = tinyResNest(false).train();
  const ckpt = tinyResNest(true).train();
  expect(ckpt.gradCheckpointing).toBe(true);
  expect(plain.gradCheckpointing).toBe(false);
  const x = tf.randomNormal([2, 16, 16, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  const labels = tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3) as tf.Tensor2D;
  const a = step(plain, x, labels);
  const before = tf.memory().numTensors;
  const b = step(ckpt, x, labels);
  expect(tf.memory().numTensors).toBe(before);
  expect(b.loss).toBeCloseTo(a.loss, 6);
  expect([...b.grads.keys()]).toEqual([...a.grads.keys()]);
  let worst = 0;
  let nonZero = 0;
  for (const [name, ga] of a.grads) {
    const gb = b.grads.get(name)!;
    const scale = Math.max(1e-6, ...Array.from(ga, Math.abs));
    for (let i = 0; i < ga.length; i++) worst = Math.max(worst, Math.abs(ga[i] - gb[i]) / scale);
    if (ga.some((v) => v !== 0)) nonZero++;
  }
  expect(worst).toBeLessThan(1e-5);
  expect(nonZero).toBeGreaterThan(a.grads.size / 2);
  const buffers = (m: Backbone) => new Map(m.namedBuffers().map(([n, v]) => [n, Array.from(v.dataSync())]));
  const ba = buffers(plain);
  for (const [name, vb] of buffers(ckpt)) {
    const va = ba.get(name)!;
    // num_batches_tracked counts the batch once, not once more for the recomputation.
    if (name.endsWith('num_batches_tracked')) expect([name, vb]).toEqual([name, va]);
    else vb.forEach((v, i) => expect(Math.abs(v - va[i])).toBeLessThan(1e-5));
  }
  tf.dispose([x, labels]);
  plain.dispose();
  ckpt.dispose();
});

it('is an option of every family and a no-op outside a gradient', () => {
  const m = createBackbone('efficientnet_b0', { numClasses: 2, gradCheckpointing: true });
  expect(m.gradCheckpointing).toBe(true);
  m.setGradCheckpointing(false);
  expect(m.gradCheckpointing).toBe(false);
  m.dispose();
  const r = tinyResNest(true).eval();
  const x = tf.randomNormal([1, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const y1 = r.forward(x).dataSync();
  r.setGradCheckpointing(false);
  expect(Array.from(r.forward(x).dataSync())).toEqual(Array.from(y1));
  r.dispose();
});
