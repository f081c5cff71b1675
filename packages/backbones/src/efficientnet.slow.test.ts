/**
 * Full-size EfficientNet-B0 training step on the cpu backend (~30 s under jest: tfjs-cpu's
 * dense filter gradient is slow). The fast suite trains a narrow B0 instead.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createBackbone } from './index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

it.each(['efficientnet_b0', 'tf_efficientnet_b0'])('%s: one SGD step at 32x32 gives every parameter a gradient and lowers the loss', (name) => {
  const m = createBackbone(name, { numClasses: 4 });
  m.train();
  const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  const labels = tf.oneHot(tf.tensor1d([1, 2], 'int32'), 4);
  const loss = () => tf.losses.softmaxCrossEntropy(labels, m.forward(x)) as tf.Scalar;
  const vars = m.trainableParameters();
  const { value, grads } = tf.variableGrads(loss, vars);
  const names = new Map(m.namedParameters().map(([n, v]) => [v.name, n]));
  const zero = Object.entries(grads).filter(([, g]) => tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]) === 0).map(([k]) => names.get(k));
  expect(zero).toEqual([]);
  const opt = tf.train.sgd(0.05);
  opt.applyGradients(grads);
  const after = tf.tidy(loss);
  expect(after.dataSync()[0]).toBeLessThan(value.dataSync()[0]);
  tf.dispose([value, after, x, labels, ...Object.values(grads)]);
  opt.dispose();
  m.dispose();
}, 300_000);
