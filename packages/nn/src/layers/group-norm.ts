import * as tf from '@tensorflow/tfjs-core';
import { Layer } from '../module.js';

export interface GroupNormOptions {
  numGroups: number;
  numChannels: number;
  /** Default 1e-5 (torch.nn.GroupNorm). */
  eps?: number;
  /** Per-channel `weight` (ones) and `bias` (zeros); default true. */
  affine?: boolean;
}

/**
 * Group normalisation (Wu & He, 2018) as torch.nn.GroupNorm, on channels-last input
 * `[N, ..., C]` (NHWC for maps): the C channels split into `numGroups` consecutive groups, and
 * each sample's group is normalised with the mean and biased variance over its channels and
 * all spatial positions, then scaled and shifted per channel. No running statistics: training
 * and eval are the same, which is why detection heads (the `"gn"` norm) use it at small batch.
 */
export class GroupNorm extends Layer {
  readonly weight?: tf.Variable;
  readonly bias?: tf.Variable;
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;

  constructor(o: GroupNormOptions) {
    super();
    if (!Number.isInteger(o.numGroups) || o.numGroups < 1) throw new Error(`GroupNorm: numGroups must be a positive integer, got ${o.numGroups}`);
    if (!Number.isInteger(o.numChannels) || o.numChannels % o.numGroups !== 0) {
      throw new Error(`GroupNorm: numChannels must be divisible by numGroups=${o.numGroups}, got ${o.numChannels}`);
    }
    const eps = o.eps ?? 1e-5;
    if (!(eps > 0)) throw new Error(`GroupNorm: eps must be > 0, got ${eps}`);
    this.numGroups = o.numGroups;
    this.numChannels = o.numChannels;
    this.eps = eps;
    if (o.affine ?? true) {
      this.weight = this.registerParameter('weight', tf.ones([o.numChannels]));
      this.bias = this.registerParameter('bias', tf.zeros([o.numChannels]));
    }
  }

  forward<T extends tf.Tensor>(x: T): T {
    const c = x.shape[x.rank - 1];
    if (x.rank < 2 || c !== this.numChannels) {
      throw new Error(`GroupNorm: expected input [N, ..., ${this.numChannels}], got shape [${x.shape}]`);
    }
    const n = x.shape[0];
    const g = this.numGroups;
    return tf.tidy(() => {
      // [N, positions, G, C/G]: moments over the positions and the channels of each group.
      const grouped = tf.reshape(x, [n, -1, g, c / g]);
      const { mean, variance } = tf.moments(grouped, [1, 3], true);
      let y = tf.reshape(tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, this.eps))), x.shape);
      if (this.weight && this.bias) y = tf.add(tf.mul(y, this.weight), this.bias);
      return y as T;
    });
  }
}
