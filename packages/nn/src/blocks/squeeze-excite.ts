import * as tf from '@tensorflow/tfjs-core';
import { Layer } from '../module.js';
import { Conv2d } from '../layers/conv.js';
import { activationFn, type ActivationName } from '../layers/activation.js';
import { makeDivisible } from './make-divisible.js';

export interface SqueezeExciteOptions {
  channels: number;
  /** Reduction ratio (timm default 1/16). */
  rdRatio?: number;
  /** Explicit reduced channels (overrides rdRatio). */
  rdChannels?: number;
  rdDivisor?: number;
  act?: ActivationName;
  gate?: ActivationName;
  bias?: boolean;
}

/**
 * Squeeze-and-excitation (Hu et al., 2018) as timm's SEModule: global average pool, 1x1 conv
 * reduce (`fc1`), activation, 1x1 conv expand (`fc2`), sigmoid gate multiplied into the input.
 * Reduced width = makeDivisible(channels * rdRatio, rdDivisor, roundLimit 0).
 */
export class SqueezeExcite extends Layer<tf.Tensor4D, tf.Tensor4D> {
  readonly fc1: Conv2d;
  readonly fc2: Conv2d;
  private readonly act: (x: tf.Tensor) => tf.Tensor;
  private readonly gate: (x: tf.Tensor) => tf.Tensor;

  constructor(o: SqueezeExciteOptions) {
    super();
    const rd = o.rdChannels ?? makeDivisible(o.channels * (o.rdRatio ?? 1 / 16), o.rdDivisor ?? 8, undefined, 0);
    const bias = o.bias ?? true;
    this.fc1 = this.registerModule('fc1', new Conv2d({ inChannels: o.channels, outChannels: rd, kernelSize: 1, bias }));
    this.fc2 = this.registerModule('fc2', new Conv2d({ inChannels: rd, outChannels: o.channels, kernelSize: 1, bias }));
    this.act = activationFn(o.act ?? 'relu');
    this.gate = activationFn(o.gate ?? 'sigmoid');
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const s = tf.mean(x, [1, 2], true) as tf.Tensor4D;
      const w = this.gate(this.fc2.forward(this.act(this.fc1.forward(s)) as tf.Tensor4D));
      return tf.mul(x, w) as tf.Tensor4D;
    });
  }
}
