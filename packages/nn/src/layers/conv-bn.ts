import * as tf from '@tensorflow/tfjs-core';
import { Conv2d } from './conv.js';
import { BatchNorm2d } from './batchnorm.js';
import { ReLU } from './activation.js';
import { Identity, type Layer } from '../module.js';
import { DropBlock } from '../blocks/drop-block.js';
import { tapeIsOn } from '../checkpoint.js';
import { cachedFoldBn, foldBn } from './conv-bn-fold.js';

export type FoldedActivation = 'linear' | 'relu';

/** A layer between BN and the activation that is the identity now (DropBlock at inference or rate 0). */
function inactive(drop: Layer<tf.Tensor4D, tf.Tensor4D> | undefined): boolean {
  return drop === undefined || drop instanceof Identity || (drop instanceof DropBlock && (!drop.training || drop.rate <= 0));
}

/**
 * `activation(drop(bn(conv(x))))`; `drop` (optional) sits between BN and the activation, as
 * timm's DropBlock does. While BN uses running statistics (eval mode or frozen BN), BN is
 * folded into the convolution, which then runs as one fused convolution + bias + activation:
 * at batch 1 a ResNet spends a sixth of its time in BN's separate multiply and add passes.
 * The folded weights are cached per convolution and recomputed when any source variable is
 * assigned (an optimizer step or a checkpoint load replaces its dataId). Under a gradient tape
 * (fine-tuning with frozen BN) the fold is computed inline so gradients reach the conv weight;
 * with BN in training mode nothing is folded.
 */
export function convBn(conv: Conv2d, bn: BatchNorm2d, x: tf.Tensor4D, activation: FoldedActivation = 'linear', drop?: Layer<tf.Tensor4D, tf.Tensor4D>): tf.Tensor4D {
  if ((bn.training && !bn.frozen) || !inactive(drop)) {
    let y = bn.forward(conv.forward(x));
    if (drop) y = drop.forward(y);
    return activation === 'relu' ? (tf.relu(y) as tf.Tensor4D) : y;
  }
  const taped = tapeIsOn();
  const { weight, bias } = taped ? foldBn(conv, bn) : cachedFoldBn(conv, bn);
  // tf.fused.conv2d has no gradient for every activation; under a tape the plain ops run.
  return conv.forwardWithWeights(x, weight, bias, activation, !taped);
}

/**
 * Runs `layers` in order, folding each Conv2d → BatchNorm2d (→ ReLU) run with convBn; what a
 * Sequential stem or downsample path does, faster at inference and equal in training.
 */
export function forwardFolded(layers: readonly Layer[], x: tf.Tensor4D): tf.Tensor4D {
  let y = x;
  for (let i = 0; i < layers.length; i++) {
    const conv = layers[i];
    const bn = layers[i + 1];
    if (conv instanceof Conv2d && bn instanceof BatchNorm2d) {
      const relu = layers[i + 2] instanceof ReLU;
      y = convBn(conv, bn, y, relu ? 'relu' : 'linear');
      i += relu ? 2 : 1;
    } else {
      y = layers[i].forward(y) as tf.Tensor4D;
    }
  }
  return y;
}
