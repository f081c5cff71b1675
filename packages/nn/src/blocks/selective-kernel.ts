import * as tf from '@tensorflow/tfjs-core';
import { convBn } from '../layers/conv-bn.js';
import { Layer, Module, ModuleList, Identity } from '../module.js';
import { Conv2d } from '../layers/conv.js';
import { BatchNorm2d } from '../layers/batchnorm.js';
import { makeDivisible } from './make-divisible.js';

/** timm's ConvNormAct: `conv`, `bn` (norm, optional spatial drop, optional ReLU). */
export class ConvNormAct extends Layer<tf.Tensor4D, tf.Tensor4D> {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;
  readonly drop: Layer<tf.Tensor4D, tf.Tensor4D>;

  constructor(o: { inChannels: number; outChannels: number; kernelSize: number; stride?: number; dilation?: number; groups?: number; act?: boolean; drop?: Layer<tf.Tensor4D, tf.Tensor4D> }, readonly act = o.act ?? true) {
    super();
    const stride = o.stride ?? 1;
    const dilation = o.dilation ?? 1;
    // timm get_padding: ((stride - 1) + dilation * (k - 1)) // 2
    const padding = Math.floor((stride - 1 + dilation * (o.kernelSize - 1)) / 2);
    this.conv = this.registerModule('conv', new Conv2d({ inChannels: o.inChannels, outChannels: o.outChannels, kernelSize: o.kernelSize, stride, dilation, padding, groups: o.groups ?? 1 }));
    this.bn = this.registerModule('bn', new BatchNorm2d({ numFeatures: o.outChannels }));
    this.drop = o.drop ? this.registerModule('drop', o.drop) : (new Identity() as Layer<tf.Tensor4D, tf.Tensor4D>);
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      return convBn(this.conv, this.bn, x, this.act ? 'relu' : 'linear', this.drop);
    });
  }
}

/** timm's SelectiveKernelAttn: `fc_reduce`, `bn`, `fc_select`, softmax across paths. */
class SelectiveKernelAttn extends Module {
  readonly fcReduce: Conv2d;
  readonly bn: BatchNorm2d;
  readonly fcSelect: Conv2d;
  constructor(readonly channels: number, readonly numPaths: number, attnChannels: number) {
    super();
    this.fcReduce = this.registerModule('fc_reduce', new Conv2d({ inChannels: channels, outChannels: attnChannels, kernelSize: 1 }));
    this.bn = this.registerModule('bn', new BatchNorm2d({ numFeatures: attnChannels }));
    this.fcSelect = this.registerModule('fc_select', new Conv2d({ inChannels: attnChannels, outChannels: channels * numPaths, kernelSize: 1 }));
  }

  /** summed: [B, H, W, C] (sum over paths) → attention [B, 1, 1, paths, C] summing to 1 over paths. */
  attention(summed: tf.Tensor4D): tf.Tensor5D {
    return tf.tidy(() => {
      const s = tf.mean(summed, [1, 2], true) as tf.Tensor4D;
      const logits = this.fcSelect.forward(tf.relu(this.bn.forward(this.fcReduce.forward(s))) as tf.Tensor4D);
      return tf.softmax(tf.transpose(tf.reshape(logits, [summed.shape[0], 1, 1, this.numPaths, this.channels]), [0, 1, 2, 4, 3]), -1).transpose([0, 1, 2, 4, 3]) as tf.Tensor5D;
    });
  }
}

export interface SelectiveKernelOptions {
  inChannels: number;
  outChannels?: number;
  /** Kernel per path; with keep3x3 a k x k path becomes 3x3 with dilation (k-1)/2. Default [3, 5]. */
  kernelSizes?: number[];
  stride?: number;
  dilation?: number;
  groups?: number;
  rdRatio?: number;
  rdDivisor?: number;
  keep3x3?: boolean;
  /** Split the input channels across paths (timm split_input). */
  splitInput?: boolean;
  drop?: () => Layer<tf.Tensor4D, tf.Tensor4D>;
}

/**
 * Selective kernel convolution (SKNet, Li et al., 2019) as timm's SelectiveKernel: parallel
 * conv-bn-relu paths (3x3 and dilated 3x3), fused by sum → GAP → fc_reduce → BN → ReLU →
 * fc_select, selected by a softmax across paths. Attention width = makeDivisible(out * rdRatio, rdDivisor).
 */
export class SelectiveKernel extends Layer<tf.Tensor4D, tf.Tensor4D> {
  readonly paths: ModuleList<ConvNormAct>;
  readonly attn: SelectiveKernelAttn;
  readonly splitInput: boolean;
  readonly inChannels: number;

  constructor(o: SelectiveKernelOptions) {
    super();
    const out = o.outChannels ?? o.inChannels;
    let kernels = o.kernelSizes ?? [3, 5];
    let dilations: number[];
    const dil = o.dilation ?? 1;
    if (o.keep3x3 ?? true) {
      dilations = kernels.map((k) => Math.floor((dil * (k - 1)) / 2));
      kernels = kernels.map(() => 3);
    } else {
      dilations = kernels.map(() => dil);
    }
    const numPaths = kernels.length;
    this.splitInput = o.splitInput ?? true;
    this.inChannels = o.inChannels;
    if (this.splitInput && o.inChannels % numPaths !== 0) throw new Error(`SelectiveKernel: inChannels ${o.inChannels} not divisible by ${numPaths} paths`);
    const pathIn = this.splitInput ? o.inChannels / numPaths : o.inChannels;
    const groups = Math.min(out, o.groups ?? 1);
    this.paths = this.registerModule('paths', new ModuleList(kernels.map((k, i) => new ConvNormAct({ inChannels: pathIn, outChannels: out, kernelSize: k, stride: o.stride ?? 1, dilation: dilations[i], groups, drop: o.drop?.() }))));
    const attnChannels = makeDivisible(out * (o.rdRatio ?? 1 / 16), o.rdDivisor ?? 8);
    this.attn = this.registerModule('attn', new SelectiveKernelAttn(out, numPaths, attnChannels));
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const n = this.paths.items.length;
      const inputs = this.splitInput ? (tf.split(x, n, 3) as tf.Tensor4D[]) : this.paths.items.map(() => x);
      const ys = this.paths.items.map((p, i) => p.forward(inputs[i]));
      const attn = this.attn.attention(tf.addN(ys) as tf.Tensor4D); // [B, 1, 1, paths, C]
      // Weight each path by its small [B, 1, 1, C] slice of the attention and add, rather than
      // stacking the full-size paths: the gradient of tf.stack is an unstack along axis 3,
      // which tfjs-backend-wasm runs as strided copies (3.2 s of a 4.4 s skresnet50 step).
      const weights = tf.unstack(attn, 3) as tf.Tensor4D[];
      return tf.addN(ys.map((y, i) => tf.mul(y, weights[i]))) as tf.Tensor4D;
    });
  }
}
