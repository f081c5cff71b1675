import * as tf from '@tensorflow/tfjs-core';
import { Layer } from '../module.js';
import { kaimingUniformDefault, uniform } from '../init.js';

export interface LinearOptions {
  inFeatures: number;
  outFeatures: number;
  bias?: boolean;
}

/** y = x W + b. W is stored [in, out] (PyTorch's [out, in] is transposed at load time). */
export class Linear extends Layer<tf.Tensor2D, tf.Tensor2D> {
  readonly weight: tf.Variable;
  readonly bias?: tf.Variable;
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(o: LinearOptions) {
    super();
    this.inFeatures = o.inFeatures;
    this.outFeatures = o.outFeatures;
    this.weight = this.registerParameter('weight', kaimingUniformDefault([o.inFeatures, o.outFeatures]));
    if (o.bias ?? true) {
      const bound = 1 / Math.sqrt(o.inFeatures);
      this.bias = this.registerParameter('bias', uniform([o.outFeatures], -bound, bound));
    }
  }

  forward(x: tf.Tensor2D): tf.Tensor2D {
    if (x.shape[1] !== this.inFeatures) throw new Error(`Linear: expected ${this.inFeatures} features, got input of shape [${x.shape}]`);
    return tf.tidy(() => {
      const y = tf.matMul(x, this.weight as tf.Tensor2D);
      return (this.bias ? tf.add(y, this.bias) : y) as tf.Tensor2D;
    });
  }
}
