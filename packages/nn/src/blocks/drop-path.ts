import * as tf from '@tensorflow/tfjs-core';
import { Layer } from '../module.js';

/**
 * Stochastic depth (drop path): zeroes a whole residual branch per sample with probability
 * `rate` and scales the kept ones by 1/(1-rate). Identity in eval or at rate 0.
 */
export class DropPath extends Layer {
  constructor(public rate: number, private readonly seed?: number) {
    super();
    if (!(rate >= 0 && rate < 1)) throw new Error(`DropPath: rate must be in [0, 1), got ${rate}`);
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (!this.training || this.rate === 0) return x;
    return tf.tidy(() => {
      const keep = 1 - this.rate;
      const shape = [x.shape[0], ...x.shape.slice(1).map(() => 1)];
      const mask = tf.floor(tf.add(tf.randomUniform(shape, 0, 1, 'float32', this.seed), keep));
      return tf.mul(x, tf.div(mask, keep));
    });
  }
}
