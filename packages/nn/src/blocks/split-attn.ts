import * as tf from '@tensorflow/tfjs-core';
import { Layer, Identity } from '../module.js';
import { Conv2d } from '../layers/conv.js';
import { BatchNorm2d } from '../layers/batchnorm.js';
import { convBn } from '../layers/conv-bn.js';
import { makeDivisible } from './make-divisible.js';

export interface SplitAttnOptions {
  inChannels: number;
  outChannels?: number;
  kernelSize?: number;
  stride?: number;
  padding?: number;
  dilation?: number;
  /** Cardinality. */
  groups?: number;
  radix?: number;
  rdRatio?: number;
  rdDivisor?: number;
  /** A spatial dropout (DropBlock) applied after bn0, as in timm/ResNeSt. */
  drop?: Layer<tf.Tensor4D, tf.Tensor4D>;
}

/**
 * Split attention (ResNeSt, Zhang et al., 2020) with timm's names (`conv`, `bn0`, `fc1`, `bn1`,
 * `fc2`) and channel order: the conv's radix*C outputs are radix-major (split r is channels
 * r*C .. r*C+C-1); attention logits from fc2 are cardinality-major and the r-softmax runs across
 * radix per (cardinality group, channel), sigmoid when radix is 1.
 */
export class SplitAttn extends Layer<tf.Tensor4D, tf.Tensor4D> {
  readonly conv: Conv2d;
  readonly bn0: BatchNorm2d;
  readonly drop: Layer<tf.Tensor4D, tf.Tensor4D>;
  readonly fc1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly fc2: Conv2d;
  readonly radix: number;
  readonly groups: number;
  readonly outChannels: number;

  constructor(o: SplitAttnOptions) {
    super();
    const out = o.outChannels ?? o.inChannels;
    const radix = o.radix ?? 2;
    const groups = o.groups ?? 1;
    const k = o.kernelSize ?? 3;
    const mid = out * radix;
    const attn = makeDivisible(o.inChannels * radix * (o.rdRatio ?? 0.25), o.rdDivisor ?? 8, 32);
    this.radix = radix;
    this.groups = groups;
    this.outChannels = out;
    this.conv = this.registerModule('conv', new Conv2d({ inChannels: o.inChannels, outChannels: mid, kernelSize: k, stride: o.stride ?? 1, padding: o.padding ?? Math.floor(k / 2), dilation: o.dilation ?? 1, groups: groups * radix }));
    this.bn0 = this.registerModule('bn0', new BatchNorm2d({ numFeatures: mid }));
    this.drop = o.drop ? this.registerModule('drop', o.drop) : new Identity() as Layer<tf.Tensor4D, tf.Tensor4D>;
    this.fc1 = this.registerModule('fc1', new Conv2d({ inChannels: out, outChannels: attn, kernelSize: 1, groups, bias: true, init: 'fanOut' }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d({ numFeatures: attn }));
    this.fc2 = this.registerModule('fc2', new Conv2d({ inChannels: attn, outChannels: mid, kernelSize: 1, groups, bias: true, init: 'fanOut' }));
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const y = convBn(this.conv, this.bn0, x, 'relu', this.drop);
      const [b, h, w] = y.shape;
      const c = this.outChannels;
      const r = this.radix;
      const splits = r > 1 ? tf.reshape(y, [b, h, w, r, c]) : y;
      // Pooling commutes with the sum over splits: pool the radix*C map, then add the r small
      // [b, C] vectors, instead of summing two full-size maps (a transpose + reduce on wasm).
      const pooled = tf.mean(y, [1, 2]);
      const gap = tf.reshape(r > 1 ? tf.sum(tf.reshape(pooled, [b, r, c]), 1) : pooled, [b, 1, 1, c]) as tf.Tensor4D;
      const logits = this.fc2.forward(tf.relu(this.bn1.forward(this.fc1.forward(gap))) as tf.Tensor4D);
      if (r === 1) return tf.mul(y, tf.sigmoid(logits)) as tf.Tensor4D;
      // [B, card, radix, C/card] → softmax over radix → radix-major [B, radix, C].
      const g = this.groups;
      const a = tf.softmax(tf.transpose(tf.reshape(logits, [b, g, r, c / g]), [0, 3, 1, 2]), -1);
      const attn = tf.reshape(tf.transpose(a, [0, 3, 2, 1]), [b, 1, 1, r, c]);
      return tf.sum(tf.mul(splits, attn), 3) as tf.Tensor4D;
    });
  }
}
