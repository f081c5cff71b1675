import * as tf from '@tensorflow/tfjs-core';
import { convBn } from '../layers/conv-bn.js';
import { Layer } from '../module.js';
import { Conv2d } from '../layers/conv.js';
import { BatchNorm2d } from '../layers/batchnorm.js';
import { activationFn, type ActivationName } from '../layers/activation.js';
import { DropPath } from './drop-path.js';
import { makeDivisible } from './make-divisible.js';
import type { Padding2d } from '../ops/padding.js';

/**
 * How the convolutions of a mobile block pad: 'pytorch' is the symmetric
 * ((stride - 1) + dilation * (k - 1)) / 2 of timm's native models; 'same' is TensorFlow's
 * input-size dependent padding (extra pixel bottom/right) that the ported TF checkpoints
 * (timm's tf_* variants) need to reproduce their outputs.
 */
export type MobilePadding = 'pytorch' | 'same';

export function mobileConvPadding(padding: MobilePadding, kernelSize: number, stride: number, dilation: number): Padding2d {
  return padding === 'same' ? 'same' : Math.floor((stride - 1 + dilation * (kernelSize - 1)) / 2);
}

/** Python's round(): halves go to the even neighbour (timm's SE width uses it). */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Options shared by the EfficientNet/MobileNet blocks (timm's block kwargs). */
export interface MobileBlockOptions {
  inChannels: number;
  outChannels: number;
  /** Depthwise kernel size. */
  kernelSize: number;
  stride?: number;
  dilation?: number;
  /**
   * Squeeze-excitation width as a fraction of the block's INPUT channels (EfficientNet 0.25,
   * timm's se_from_exp=False); 0 or absent: no SE.
   */
  seRatio?: number;
  /** Activation after the expansion and depthwise convs and inside SE. Default 'relu' (timm). */
  act?: ActivationName;
  padding?: MobilePadding;
  bnEps?: number;
  bnMomentum?: number;
  /** Stochastic depth of the residual branch (only where the block has a skip). */
  dropPathRate?: number;
  /** Never add the input back, even when shapes allow it. */
  noskip?: boolean;
}

/**
 * Squeeze-excitation as in the EfficientNet/MobileNet blocks (timm's `_efficientnet_blocks.
 * SqueezeExcite`): mean over H, W, 1x1 `conv_reduce`, the block's activation, 1x1
 * `conv_expand`, sigmoid gate. Unlike `SqueezeExcite` (ResNet, `fc1`/`fc2`, ReLU) its names
 * and activation are the block's.
 */
export class MobileSqueezeExcite extends Layer<tf.Tensor4D, tf.Tensor4D> {
  readonly convReduce: Conv2d;
  readonly convExpand: Conv2d;
  private readonly act: (x: tf.Tensor) => tf.Tensor;

  constructor(o: { channels: number; rdChannels: number; act?: ActivationName }) {
    super();
    if (!(Number.isInteger(o.rdChannels) && o.rdChannels >= 1)) throw new Error(`MobileSqueezeExcite: rdChannels must be a positive integer, got ${o.rdChannels}`);
    this.convReduce = this.registerModule('conv_reduce', new Conv2d({ inChannels: o.channels, outChannels: o.rdChannels, kernelSize: 1, bias: true }));
    this.convExpand = this.registerModule('conv_expand', new Conv2d({ inChannels: o.rdChannels, outChannels: o.channels, kernelSize: 1, bias: true }));
    this.act = activationFn(o.act ?? 'relu');
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const s = tf.mean(x, [1, 2], true) as tf.Tensor4D;
      const gate = tf.sigmoid(this.convExpand.forward(this.act(this.convReduce.forward(s)) as tf.Tensor4D));
      return tf.mul(x, gate) as tf.Tensor4D;
    });
  }
}

/**
 * SE width from the ratio to the block input, computed as timm does: the ratio is divided by
 * the expansion and applied to the expanded width, then rounded with Python's round().
 */
export function mobileSeChannels(seRatio: number, expRatio: number, midChannels: number): number {
  return roundHalfEven(midChannels * (seRatio / expRatio));
}

/**
 * A conv weight initialised as timm's EfficientNet ("goog") init: normal with std
 * sqrt(2 / fan_out), fan_out = k*k*out/groups. For a depthwise conv that is k*k, which is
 * our HWIO fan-in; for a dense conv it is our fan-out.
 */
export function mobileConv(inChannels: number, outChannels: number, kernelSize: number, o: { stride?: number; dilation?: number; groups?: number; padding?: MobilePadding } = {}): Conv2d {
  const stride = o.stride ?? 1;
  const dilation = o.dilation ?? 1;
  const groups = o.groups ?? 1;
  return new Conv2d({
    inChannels,
    outChannels,
    kernelSize,
    stride,
    dilation,
    groups,
    padding: mobileConvPadding(o.padding ?? 'pytorch', kernelSize, stride, dilation),
    init: groups === inChannels && groups > 1 ? 'fanIn' : 'fanOut',
  });
}

export function mobileBatchNorm(channels: number, o: Pick<MobileBlockOptions, 'bnEps' | 'bnMomentum'>): BatchNorm2d {
  return new BatchNorm2d({ numFeatures: channels, eps: o.bnEps, momentum: o.bnMomentum });
}

/** Checks the options every mobile block shares; `block` names the block in errors. */
export function checkMobileBlockOptions(block: string, o: MobileBlockOptions): void {
  for (const key of ['inChannels', 'outChannels', 'kernelSize'] as const) {
    if (!(Number.isInteger(o[key]) && o[key] >= 1)) throw new Error(`${block}: ${key} must be a positive integer, got ${o[key]}`);
  }
  if (o.seRatio !== undefined && !(o.seRatio >= 0 && o.seRatio <= 1)) throw new Error(`${block}: seRatio must be in [0, 1], got ${o.seRatio}`);
}

/**
 * Inverted residual block, "MBConv" (MobileNetV2, Sandler et al. 2018; with SE and SiLU in
 * EfficientNet, Tan & Le 2019), with timm's names: 1x1 expansion `conv_pw`/`bn1` + act,
 * k x k depthwise `conv_dw`/`bn2` + act (stride, dilation), SE `se`, 1x1 linear projection
 * `conv_pwl`/`bn3` (no activation), then drop path and the identity skip when stride is 1 and
 * the widths agree.
 */
export class InvertedResidual extends Layer<tf.Tensor4D, tf.Tensor4D> {
  readonly convPw: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly convDw: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly se?: MobileSqueezeExcite;
  readonly convPwl: Conv2d;
  readonly bn3: BatchNorm2d;
  readonly dropPath?: DropPath;
  readonly hasSkip: boolean;
  readonly midChannels: number;
  private readonly act: (x: tf.Tensor) => tf.Tensor;

  constructor(o: MobileBlockOptions & { expRatio: number }) {
    super();
    checkMobileBlockOptions('InvertedResidual', o);
    if (!(o.expRatio > 0)) throw new Error(`InvertedResidual: expRatio must be > 0, got ${o.expRatio}`);
    const stride = o.stride ?? 1;
    const padding = o.padding ?? 'pytorch';
    const act = o.act ?? 'relu';
    this.act = activationFn(act);
    this.hasSkip = o.inChannels === o.outChannels && stride === 1 && !o.noskip;
    const mid = makeDivisible(o.inChannels * o.expRatio);
    this.midChannels = mid;
    this.convPw = this.registerModule('conv_pw', mobileConv(o.inChannels, mid, 1, { padding }));
    this.bn1 = this.registerModule('bn1', mobileBatchNorm(mid, o));
    this.convDw = this.registerModule('conv_dw', mobileConv(mid, mid, o.kernelSize, { stride, dilation: o.dilation, groups: mid, padding }));
    this.bn2 = this.registerModule('bn2', mobileBatchNorm(mid, o));
    if (o.seRatio) this.se = this.registerModule('se', new MobileSqueezeExcite({ channels: mid, rdChannels: mobileSeChannels(o.seRatio, o.expRatio, mid), act }));
    this.convPwl = this.registerModule('conv_pwl', mobileConv(mid, o.outChannels, 1, { padding }));
    this.bn3 = this.registerModule('bn3', mobileBatchNorm(o.outChannels, o));
    if (this.hasSkip && (o.dropPathRate ?? 0) > 0) this.dropPath = this.registerModule('drop_path', new DropPath(o.dropPathRate!));
  }

  /** The BN whose gamma a zero-init of the residual branch sets to 0. */
  lastBn(): BatchNorm2d {
    return this.bn3;
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let y = this.act(convBn(this.convPw, this.bn1, x)) as tf.Tensor4D;
      y = this.act(convBn(this.convDw, this.bn2, y)) as tf.Tensor4D;
      if (this.se) y = this.se.forward(y);
      y = convBn(this.convPwl, this.bn3, y);
      if (!this.hasSkip) return y;
      if (this.dropPath) y = this.dropPath.forward(y) as tf.Tensor4D;
      return tf.add(y, x) as tf.Tensor4D;
    });
  }
}
