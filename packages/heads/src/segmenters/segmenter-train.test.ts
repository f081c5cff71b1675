/**
 * Training mode of the segmenters on small backbones: BatchNorm uses batch statistics (and
 * updates its running ones), dropout is active (seeded through Math.random, which tfjs seeds
 * unseeded random ops from), every trainable parameter gets a non-zero gradient from a loss on
 * `out` and `aux`, and a training step leaves no tensors behind.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, withMathRandom } from '@tfvision/nn';
import { SeededRng } from '../ops/seeded-rng.js';
import { fillHashWeights } from '../testing/hash-weights.js';
import { hashInput } from '../testing/fixture-compare.js';
import { createSegmenter, type SegmenterOverrides } from './registry.js';
import type { Segmenter } from './segmenter.js';

// wasm by default: the JS cpu backend takes minutes for these backward passes under jest.
beforeAll(async () => {
  await initBackend({ backend: process.env.TFVISION_TRAIN_BACKEND ?? 'wasm', report: false });
});

function seeded<T>(seed: number, body: () => T): T {
  const rng = new SeededRng(seed);
  return withMathRandom(() => rng.next(), body);
}

/** A hash-filled model in training mode (hash weights: no zero-init gamma hides a gradient). */
function build(name: string, overrides: SegmenterOverrides = {}): Segmenter {
  const model = createSegmenter(name, { numClasses: 3, ...overrides });
  fillHashWeights(model);
  return model.train();
}

/** Sum of the logits weighted by fixed values, out and (0.4x) aux: a loss every output pixel feeds. */
function loss(model: Segmenter, x: tf.Tensor4D): tf.Scalar {
  const y = model.forward(x);
  const weigh = (t: tf.Tensor4D, name: string) => tf.sum(tf.mul(t, hashInput(name, [t.shape[0], t.shape[3], t.shape[1], t.shape[2]])));
  const l = weigh(y.out, 'dy.out');
  return (y.aux ? tf.add(l, tf.mul(0.4, weigh(y.aux, 'dy.aux'))) : l) as tf.Scalar;
}

describe.each([
  ['deeplabv3_resnet18', [2, 32, 48]],
  ['deeplabv3plus_resnest14d', [2, 32, 48]],
  ['deeplabv3plus_resnet18', [2, 48, 32], { encoder: 'smp' }],
] as [string, [number, number, number], SegmenterOverrides?][])('%s in training mode', (name, [n, h, w], extra) => {
  const x = hashInput(`${n}x${h}x${w}`, [n, 3, h, w]) as tf.Tensor4D;

  it('uses batch statistics and updates the running ones', () => {
    const model = build(name, { ...extra, dropout: 0, ...(name.startsWith('deeplabv3_') ? { auxDropout: 0 } : {}) });
    const runningMean = model.stateDict().get(name.startsWith('deeplabv3_') ? 'classifier.2.running_mean' : 'decoder.block2.1.running_mean')!;
    const meanBefore = runningMean.dataSync().slice();
    const trained = model.forward(x);
    const again = model.forward(x);
    // Batch statistics do not depend on the running ones, so with dropout 0 the output repeats.
    expect(tf.max(tf.abs(tf.sub(trained.out, again.out))).dataSync()[0]).toBe(0);
    const meanAfter = runningMean.dataSync();
    expect(Math.max(...meanAfter.map((v, i) => Math.abs(v - meanBefore[i])))).toBeGreaterThan(1e-4);
    model.eval();
    const evaluated = model.forward(x);
    expect(tf.max(tf.abs(tf.sub(trained.out, evaluated.out))).dataSync()[0]).toBeGreaterThan(1e-3);
    tf.dispose([trained, again, evaluated]);
    model.dispose();
  });

  it('applies dropout (seeded) and sends a gradient to every parameter without leaking', () => {
    const model = build(name, extra);
    const a = seeded(1, () => model.forward(x));
    const b = seeded(1, () => model.forward(x));
    const c = seeded(2, () => model.forward(x));
    expect(tf.max(tf.abs(tf.sub(a.out, b.out))).dataSync()[0]).toBe(0);
    expect(tf.max(tf.abs(tf.sub(a.out, c.out))).dataSync()[0]).toBeGreaterThan(1e-4);
    tf.dispose([a, b, c]);

    const params = model.namedParameters().filter(([, v]) => v.trainable);
    const before = tf.memory().numTensors;
    const { value, grads } = seeded(3, () => tf.variableGrads(() => loss(model, x), params.map(([, v]) => v)));
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    const silent = params.filter(([, v]) => !grads[v.name] || tf.tidy(() => tf.max(tf.abs(grads[v.name])).dataSync()[0]) === 0).map(([k]) => k);
    expect(silent).toEqual([]);
    expect(Object.keys(grads)).toHaveLength(params.length);
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
