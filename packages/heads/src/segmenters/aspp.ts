/**
 * Atrous Spatial Pyramid Pooling (Chen et al., "Rethinking Atrous Convolution for Semantic Image
 * Segmentation", 2017) as torchvision's `ASPP` and smp's `ASPP` build it; the two share names:
 * - `convs.0`: 1x1 → BN → ReLU;
 * - `convs.1..3`: 3x3 at the three rates → BN → ReLU; smp's separable form (DeepLabV3+) is a
 *   depthwise 3x3 at the rate without norm, then a pointwise 1x1 (`convs.i.0.0`, `convs.i.0.1`);
 * - `convs.4`: image pooling: global average → 1x1 → BN → ReLU (`convs.4.1`, `convs.4.2`), then
 *   bilinear (align_corners false) back to the map's size, which from 1x1 is a broadcast;
 * - concatenated in that order (pooling last), `project`: 1x1 → BN → ReLU → Dropout.
 * No convolution has a bias; BatchNorm eps 1e-5.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Dropout, Layer, ModuleList, ReLU, Sequential, forwardFolded, globalAvgPoolKeepDims } from '@tfvision/nn';
import { interpolate } from '../ops/interpolate.js';
import { ConvNormRelu, SeparableConv2d, convBnRelu, plainConv } from './conv-blocks.js';

export interface AsppOptions {
  inChannels: number;
  /** Channels of every branch and of the projection. torchvision and smp: 256. */
  outChannels: number;
  /** Dilation rates of the three 3x3 branches. torchvision and smp: [12, 24, 36]. */
  rates: readonly [number, number, number];
  /** smp's DeepLabV3+ (separable 3x3s) or torchvision's plain 3x3s. */
  separable: boolean;
  /** Dropout after the projection (both references: 0.5). */
  dropout: number;
}

/** nn.AdaptiveAvgPool2d(1): the parameterless child `0` of the pooling branch. */
class GlobalAvgPool1x1 extends Layer<tf.Tensor4D, tf.Tensor4D> {
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return globalAvgPoolKeepDims(x);
  }
}

/** ASPPPooling: children 0 pool, 1 conv, 2 BN, 3 ReLU; the output is resized to the input's size. */
class AsppPooling extends Sequential {
  constructor(inChannels: number, outChannels: number) {
    super([new GlobalAvgPool1x1(), plainConv(inChannels, outChannels, 1), new BatchNorm2d({ numFeatures: outChannels }), new ReLU()]);
  }

  override forward(x: tf.Tensor): tf.Tensor {
    const x4 = x as tf.Tensor4D;
    return tf.tidy(() => interpolate(forwardFolded(this.layers, x4), { size: [x4.shape[1], x4.shape[2]], mode: 'bilinear', alignCorners: false }));
  }
}

export class Aspp extends Layer<tf.Tensor4D, tf.Tensor4D> {
  readonly convs: ModuleList<Layer>;
  readonly project: ConvNormRelu;
  readonly inChannels: number;
  readonly outChannels: number;

  constructor(o: AsppOptions) {
    super();
    const { inChannels, outChannels, rates, separable } = o;
    if (rates.length !== 3 || !rates.every((r) => Number.isInteger(r) && r >= 1)) throw new Error(`Aspp: rates must be three positive integers, got ${JSON.stringify(rates)}`);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    const branches: Layer[] = [convBnRelu(plainConv(inChannels, outChannels, 1), outChannels)];
    for (const rate of rates) {
      branches.push(convBnRelu(separable ? new SeparableConv2d(inChannels, outChannels, 3, rate) : plainConv(inChannels, outChannels, 3, rate), outChannels));
    }
    branches.push(new AsppPooling(inChannels, outChannels));
    this.convs = this.registerModule('convs', new ModuleList(branches));
    this.project = this.registerModule('project', new ConvNormRelu([
      plainConv(5 * outChannels, outChannels, 1), new BatchNorm2d({ numFeatures: outChannels }), new ReLU(), new Dropout(o.dropout),
    ]));
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    if (x.shape[3] !== this.inChannels) throw new Error(`Aspp: expected ${this.inChannels} input channels, got input of shape [${x.shape}]`);
    return tf.tidy(() => {
      const branches = this.convs.items.map((b) => b.forward(x) as tf.Tensor4D);
      return this.project.forward(tf.concat(branches, 3)) as tf.Tensor4D;
    });
  }
}
