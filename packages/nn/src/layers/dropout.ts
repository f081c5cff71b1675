import * as tf from '@tensorflow/tfjs-core';
import { Layer } from '../module.js';

/** Inverted dropout: zeroes with probability p in training and scales the rest by 1/(1-p). */
export class Dropout extends Layer {
  constructor(public p: number, private readonly seed?: number) {
    super();
    if (!(p >= 0 && p < 1)) throw new Error(`Dropout: p must be in [0, 1), got ${p}`);
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (!this.training || this.p === 0) return x;
    return tf.dropout(x, this.p, undefined, this.seed);
  }
}
