import * as tf from '@tensorflow/tfjs-core';
import { Layer } from '../module.js';
import { kaimingNormal, type FanMode } from '../init.js';
import { pair } from '../ops/padding.js';

export interface ConvTranspose2dOptions {
  inChannels: number;
  outChannels: number;
  kernelSize: number | [number, number];
  stride?: number | [number, number];
  bias?: boolean;
  init?: FanMode | 'none';
}

/**
 * Transposed 2-D convolution on NHWC input, without padding or output padding (the mask head's
 * 2x2 stride-2 upsampling): out[s*i + a, s*j + b, o] = bias[o] + sum_c x[i, j, c] W[c, o, a, b]
 * with PyTorch's W [in, out, kh, kw]. Ours is stored [kh, kw, out, in], tfjs' conv2dTranspose
 * filter layout, which is also what the state-dict loader's conv rule (axes 2, 3, 1, 0) makes of
 * PyTorch's [in, out, kh, kw], so checkpoints load with no special case.
 */
export class ConvTranspose2d extends Layer<tf.Tensor4D, tf.Tensor4D> {
  readonly weight: tf.Variable;
  readonly bias?: tf.Variable;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];

  constructor(o: ConvTranspose2dOptions) {
    super();
    this.inChannels = o.inChannels;
    this.outChannels = o.outChannels;
    this.kernelSize = pair(o.kernelSize);
    this.stride = pair(o.stride ?? 1);
    const shape = [this.kernelSize[0], this.kernelSize[1], this.outChannels, this.inChannels];
    const init = o.init ?? 'fanOut';
    this.weight = this.registerParameter('weight', init === 'none' ? tf.zeros(shape) : kaimingNormal(shape, init));
    if (o.bias ?? true) this.bias = this.registerParameter('bias', tf.zeros([this.outChannels]));
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    if (x.shape[3] !== this.inChannels) throw new Error(`ConvTranspose2d: expected ${this.inChannels} input channels, got input of shape [${x.shape}]`);
    const [n, h, w] = x.shape;
    const [kh, kw] = this.kernelSize;
    const [sh, sw] = this.stride;
    const outShape: [number, number, number, number] = [n, (h - 1) * sh + kh, (w - 1) * sw + kw, this.outChannels];
    return tf.tidy(() => {
      const y = tf.conv2dTranspose(x, this.weight as tf.Tensor4D, outShape, [sh, sw], 'valid');
      return this.bias ? tf.add(y, this.bias) : y;
    });
  }
}
