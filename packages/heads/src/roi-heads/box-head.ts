import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Linear, Module, ReLU, Sequential, type Layer } from '@tfvision/nn';

/**
 * PyTorch flattens pooled RoI features [K, C, H, W] channel-major; ours are NHWC, so they are
 * transposed first and checkpoints' fc6 weights load unchanged.
 */
export function flattenChannelMajor(x: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [x.shape[0], -1]));
}

/** A box head: pooled RoI features [K, h, w, C] in, one representation [K, D] out. */
export interface BoxHead extends Module {
  readonly representationSize: number;
  forward(pooled: tf.Tensor4D): tf.Tensor2D;
}

/** torchvision's TwoMLPHead (v1, detectron2's 2fc): flatten, fc6 + ReLU, fc7 + ReLU. */
export class TwoMlpHead extends Module implements BoxHead {
  readonly fc6: Linear;
  readonly fc7: Linear;
  readonly representationSize: number;

  constructor(o: { inChannels: number; resolution: number; representationSize?: number }) {
    super();
    this.representationSize = o.representationSize ?? 1024;
    this.fc6 = this.registerModule('fc6', new Linear({ inFeatures: o.inChannels * o.resolution * o.resolution, outFeatures: this.representationSize }));
    this.fc7 = this.registerModule('fc7', new Linear({ inFeatures: this.representationSize, outFeatures: this.representationSize }));
  }

  forward(pooled: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => tf.relu(this.fc7.forward(tf.relu(this.fc6.forward(flattenChannelMajor(pooled))))));
  }
}

/** 3x3 conv (no bias) + BatchNorm + ReLU with torchvision's Conv2dNormActivation names (.0, .1). */
export function convBnRelu(inChannels: number, outChannels: number): Sequential {
  return new Sequential([new Conv2d({ inChannels, outChannels, kernelSize: 3, bias: false }), new BatchNorm2d({ numFeatures: outChannels }), new ReLU()]);
}

/**
 * torchvision's FastRCNNConvFCHead (v2): four 3x3 conv + BN + ReLU (`0`..`3`), flatten (`4`),
 * one fc (`5`) + ReLU (`6`). The indices are nn.Sequential's, so the checkpoint names match.
 */
export class ConvFcHead extends Module implements BoxHead {
  readonly convs: Sequential[];
  readonly fc: Linear;
  readonly representationSize: number;

  constructor(o: { inChannels: number; resolution: number; convChannels?: number[]; representationSize?: number }) {
    super();
    const channels = o.convChannels ?? [256, 256, 256, 256];
    this.representationSize = o.representationSize ?? 1024;
    let c = o.inChannels;
    this.convs = channels.map((out, i) => {
      const block = this.registerModule(String(i), convBnRelu(c, out));
      c = out;
      return block;
    });
    this.fc = this.registerModule(String(channels.length + 1), new Linear({ inFeatures: c * o.resolution * o.resolution, outFeatures: this.representationSize }));
  }

  forward(pooled: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      let x: tf.Tensor4D = pooled;
      for (const block of this.convs as Layer[]) x = block.forward(x) as tf.Tensor4D;
      return tf.relu(this.fc.forward(flattenChannelMajor(x)));
    });
  }
}
