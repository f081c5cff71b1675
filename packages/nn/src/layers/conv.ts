import * as tf from '@tensorflow/tfjs-core';
import { Layer } from '../module.js';
import { kaimingNormal, type FanMode } from '../init.js';
import { conv2d, toTfPad, type Conv2dOpOptions } from '../ops/conv2d.js';
import { disposeFolded } from './conv-bn-fold.js';
import { biasAdd } from '../grad/lean-ops.js';
import { pair, resolvePadding, symmetricPadding, type Padding2d } from '../ops/padding.js';

export interface Conv2dOptions {
  inChannels: number;
  outChannels: number;
  kernelSize: number | [number, number];
  stride?: number | [number, number];
  /** Default: PyTorch's symmetric ((k-1)*d)/2, which keeps the size at stride 1. */
  padding?: Padding2d;
  dilation?: number | [number, number];
  groups?: number;
  bias?: boolean;
  /** Weight init; default Kaiming normal fan-out (timm/torchvision ResNet). */
  init?: FanMode | 'none';
}

/**
 * 2-D convolution on NHWC input. The weight is HWIO `[kh, kw, in/groups, out]`
 * (PyTorch's OIHW is converted at load time), registered as `weight` (and `bias`).
 */
export class Conv2d extends Layer<tf.Tensor4D, tf.Tensor4D> {
  readonly weight: tf.Variable;
  readonly bias?: tf.Variable;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: Padding2d;
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(o: Conv2dOptions) {
    super();
    this.inChannels = o.inChannels;
    this.outChannels = o.outChannels;
    this.kernelSize = pair(o.kernelSize);
    this.stride = pair(o.stride ?? 1);
    this.dilation = pair(o.dilation ?? 1);
    this.groups = o.groups ?? 1;
    this.padding = o.padding ?? [symmetricPadding(this.kernelSize[0], this.dilation[0]), symmetricPadding(this.kernelSize[1], this.dilation[1])];
    if (this.inChannels % this.groups !== 0 || this.outChannels % this.groups !== 0) {
      throw new Error(`Conv2d: inChannels=${this.inChannels} and outChannels=${this.outChannels} must be divisible by groups=${this.groups}`);
    }
    const shape = [this.kernelSize[0], this.kernelSize[1], this.inChannels / this.groups, this.outChannels];
    const init = o.init ?? 'fanOut';
    this.weight = this.registerParameter('weight', init === 'none' ? tf.zeros(shape) : kaimingNormal(shape, init));
    if (o.bias) this.bias = this.registerParameter('bias', tf.zeros([this.outChannels]));
  }

  /** The conv2d op options for input `x`, after checking its channel count. */
  private opOptions(x: tf.Tensor4D): Conv2dOpOptions {
    if (x.shape[3] !== this.inChannels) {
      throw new Error(`Conv2d: expected ${this.inChannels} input channels, got input of shape [${x.shape}]`);
    }
    const pad = resolvePadding(this.padding, x.shape[1], x.shape[2], this.kernelSize, this.stride, this.dilation);
    return { strides: this.stride, pad, dilations: this.dilation, groups: this.groups };
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    const opts = this.opOptions(x);
    return tf.tidy(() => {
      const y = conv2d(x, this.weight as tf.Tensor4D, opts);
      return this.bias ? biasAdd(y, this.bias as tf.Tensor1D) : y;
    });
  }

  /**
   * This convolution with another weight and bias, then the activation: what convBn runs with
   * BatchNorm folded in. `fused` uses tf.fused.conv2d (one kernel, no gradient needed) where
   * the convolution is dense.
   */
  forwardWithWeights(x: tf.Tensor4D, weight: tf.Tensor4D, bias: tf.Tensor1D, activation: 'linear' | 'relu', fused: boolean): tf.Tensor4D {
    const opts = this.opOptions(x);
    return tf.tidy(() => {
      const dilated = this.dilation[0] > 1 || this.dilation[1] > 1;
      if (fused && this.groups === 1 && !dilated) {
        return tf.fused.conv2d({ x, filter: weight, strides: this.stride, pad: toTfPad(opts.pad), dataFormat: 'NHWC', dilations: this.dilation, bias, activation }) as tf.Tensor4D;
      }
      const y = biasAdd(conv2d(x, weight, opts), bias);
      return activation === 'relu' ? (tf.relu(y) as tf.Tensor4D) : y;
    });
  }

  override releaseInferenceCache(): void {
    disposeFolded(this);
  }

}
