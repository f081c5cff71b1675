import * as tf from '@tensorflow/tfjs-core';
import { convBn } from '../layers/conv-bn.js';
import { Layer } from '../module.js';
import type { Conv2d } from '../layers/conv.js';
import type { BatchNorm2d } from '../layers/batchnorm.js';
import { activationFn } from '../layers/activation.js';
import { DropPath } from './drop-path.js';
import { MobileSqueezeExcite, checkMobileBlockOptions, mobileBatchNorm, mobileConv, mobileSeChannels, type MobileBlockOptions } from './mbconv.js';

/**
 * Depthwise-separable block (MobileNetV1; EfficientNet's first stage, where the expansion
 * would be 1) with timm's names: k x k depthwise `conv_dw`/`bn1` + act, SE `se`, 1x1
 * `conv_pw`/`bn2` (activation only with `pwAct`), then drop path and the identity skip when
 * stride is 1 and the widths agree.
 */
export class DepthwiseSeparableConv extends Layer<tf.Tensor4D, tf.Tensor4D> {
  readonly convDw: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly se?: MobileSqueezeExcite;
  readonly convPw: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly dropPath?: DropPath;
  readonly hasSkip: boolean;
  private readonly act: (x: tf.Tensor) => tf.Tensor;
  private readonly pwAct: boolean;

  constructor(o: MobileBlockOptions & { pwAct?: boolean }) {
    super();
    checkMobileBlockOptions('DepthwiseSeparableConv', o);
    const stride = o.stride ?? 1;
    const padding = o.padding ?? 'pytorch';
    const act = o.act ?? 'relu';
    this.act = activationFn(act);
    this.pwAct = o.pwAct ?? false;
    this.hasSkip = o.inChannels === o.outChannels && stride === 1 && !o.noskip;
    this.convDw = this.registerModule('conv_dw', mobileConv(o.inChannels, o.inChannels, o.kernelSize, { stride, dilation: o.dilation, groups: o.inChannels, padding }));
    this.bn1 = this.registerModule('bn1', mobileBatchNorm(o.inChannels, o));
    if (o.seRatio) this.se = this.registerModule('se', new MobileSqueezeExcite({ channels: o.inChannels, rdChannels: mobileSeChannels(o.seRatio, 1, o.inChannels), act }));
    this.convPw = this.registerModule('conv_pw', mobileConv(o.inChannels, o.outChannels, 1, { padding }));
    this.bn2 = this.registerModule('bn2', mobileBatchNorm(o.outChannels, o));
    if (this.hasSkip && (o.dropPathRate ?? 0) > 0) this.dropPath = this.registerModule('drop_path', new DropPath(o.dropPathRate!));
  }

  /** The BN whose gamma a zero-init of the residual branch sets to 0. */
  lastBn(): BatchNorm2d {
    return this.bn2;
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let y = this.act(convBn(this.convDw, this.bn1, x)) as tf.Tensor4D;
      if (this.se) y = this.se.forward(y);
      y = convBn(this.convPw, this.bn2, y);
      if (this.pwAct) y = this.act(y) as tf.Tensor4D;
      if (!this.hasSkip) return y;
      if (this.dropPath) y = this.dropPath.forward(y) as tf.Tensor4D;
      return tf.add(y, x) as tf.Tensor4D;
    });
  }
}
