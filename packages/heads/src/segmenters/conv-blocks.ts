/**
 * The small conv blocks the DeepLab heads are made of, with the child indices of the reference
 * nn.Sequential modules so parameter names match (torchvision's ASPPConv and FCNHead, smp's
 * SeparableConv2d): conv → BatchNorm → ReLU runs, and smp's separable convolution
 * (a depthwise 3x3 without bias or norm, then a pointwise 1x1).
 */
import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, ReLU, Sequential, forwardFolded, type Layer } from '@tfvision/nn';

/** A Conv2d without bias, PyTorch's symmetric padding d·(k-1)/2. */
export function plainConv(inChannels: number, outChannels: number, kernelSize: number, dilation = 1): Conv2d {
  return new Conv2d({ inChannels, outChannels, kernelSize, dilation, padding: (dilation * (kernelSize - 1)) / 2, bias: false });
}

/**
 * smp's SeparableConv2d(bias=False): `0` depthwise (groups = inChannels, no bias), `1` pointwise.
 * Padding is d·(k-1)/2, what smp passes (padding=dilation for its 3x3s).
 */
export class SeparableConv2d extends Sequential {
  readonly depthwise: Conv2d;
  readonly pointwise: Conv2d;

  constructor(inChannels: number, outChannels: number, kernelSize: number, dilation = 1) {
    const depthwise = new Conv2d({ inChannels, outChannels: inChannels, kernelSize, dilation, padding: (dilation * (kernelSize - 1)) / 2, groups: inChannels, bias: false });
    const pointwise = new Conv2d({ inChannels, outChannels, kernelSize: 1, padding: 0, bias: false });
    super([depthwise, pointwise]);
    this.depthwise = depthwise;
    this.pointwise = pointwise;
  }
}

/**
 * `conv (→ BatchNorm → ReLU ...)` as one Sequential (children 0, 1, 2, ...), run with BatchNorm
 * folded into the convolution at inference (forwardFolded); a separable conv is flattened so its
 * pointwise half folds with the BatchNorm after it.
 */
export class ConvNormRelu extends Sequential {
  constructor(layers: Layer[]) {
    super(layers);
  }

  override forward(x: tf.Tensor): tf.Tensor {
    const flat = this.layers.flatMap((l) => (l instanceof SeparableConv2d ? [l.depthwise, l.pointwise] : [l]));
    return forwardFolded(flat, x as tf.Tensor4D);
  }
}

/** conv, BatchNorm, ReLU: torchvision's ASPPConv / the 1x1 branch, smp's ASPPSeparableConv and decoder blocks. */
export function convBnRelu(conv: Conv2d | SeparableConv2d, channels: number): ConvNormRelu {
  return new ConvNormRelu([conv, new BatchNorm2d({ numFeatures: channels }), new ReLU()]);
}
