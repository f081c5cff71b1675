/** A parameter at lr x 10 through ScaledLrSgd moves as plain SGD at 10x the rate (momentum and decay included). */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { Sgd } from '../optim/index.js';
import { ScaledLrSgd } from './scaled-lr-sgd.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

it('matches Sgd at 10x the rate for the scaled parameter and 1x for the rest', () => {
  const mk = () => ({ a: tf.variable(tf.tensor1d([1, -2, 3])), b: tf.variable(tf.tensor1d([0.5, 4])) });
  const s = mk();
  const ref = mk();
  const refA = mk().a;
  const scaled = new ScaledLrSgd([{ name: 'a', variable: s.a, weightDecay: 0.01 }, { name: 'b', variable: s.b, weightDecay: 0.01 }], { momentum: 0.9 }, new Map([['a', 10]]));
  const plainB = new Sgd([{ name: 'b', variable: ref.b, weightDecay: 0.01 }], { momentum: 0.9 });
  const plainA = new Sgd([{ name: 'a', variable: refA, weightDecay: 0.01 }], { momentum: 0.9 });
  const before = tf.memory().numTensors;
  for (let t = 0; t < 4; t++) {
    const ga = tf.tensor1d([0.1 * t, -0.3, 0.2]);
    const gb = tf.tensor1d([1, -1 + t]);
    scaled.step(new Map([['a', ga], ['b', gb]]), 0.05);
    plainA.step(new Map([['a', ga]]), 0.5);
    plainB.step(new Map([['b', gb]]), 0.05);
    tf.dispose([ga, gb]);
  }
  expect(tf.memory().numTensors).toBe(before);
  const diff = (x: tf.Tensor, y: tf.Tensor) => Math.max(...Array.from(tf.abs(tf.sub(x, y)).dataSync()));
  expect(diff(s.a, refA)).toBeLessThan(1e-6);
  expect(diff(s.b, ref.b)).toBe(0);
  expect(() => new ScaledLrSgd([{ name: 'a', variable: s.a, weightDecay: 0 }], { momentum: 0.9 }, new Map([['z', 10]]))).toThrow('ScaledLrSgd: lrScale names "z", which is not a parameter');
});
