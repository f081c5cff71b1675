/**
 * Full-size EfficientNet-B0 training step on wasm. The fast suite trains a narrow B0 instead.
 * 64x64, so the last stage keeps 2x2 positions: at 32x32 BatchNorm normalises 2 values per
 * channel there and gradients reach 1e9-1e12, which no fixed learning rate survives. The step
 * is normalised (length 1e-4 along -g), so "the loss falls" is a first-order property of the
 * gradient rather than luck with a learning rate.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { createBackbone } from './index.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm', report: false });
});

it.each(['efficientnet_b0', 'tf_efficientnet_b0'])('%s: one SGD step at 64x64 gives every parameter a gradient and lowers the loss', (name) => {
  const m = createBackbone(name, { numClasses: 4 });
  m.train();
  const x = tf.randomNormal([2, 64, 64, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  const labels = tf.oneHot(tf.tensor1d([1, 2], 'int32'), 4);
  const loss = () => tf.losses.softmaxCrossEntropy(labels, m.forward(x)) as tf.Scalar;
  const vars = m.trainableParameters();
  const { value, grads } = tf.variableGrads(loss, vars);
  const names = new Map(m.namedParameters().map(([n, v]) => [v.name, n]));
  const zero = Object.entries(grads).filter(([, g]) => tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]) === 0).map(([k]) => names.get(k));
  expect(zero).toEqual([]);
  const norm = Math.sqrt(Object.values(grads).reduce((sum, g) => sum + tf.tidy(() => tf.sum(tf.square(g)).dataSync()[0]), 0));
  const opt = tf.train.sgd(1e-4 / norm);
  opt.applyGradients(grads);
  const after = tf.tidy(loss);
  expect(after.dataSync()[0]).toBeLessThan(value.dataSync()[0]);
  tf.dispose([value, after, x, labels, ...Object.values(grads)]);
  opt.dispose();
  m.dispose();
}, 300_000);
