import * as tf from '@tensorflow/tfjs-core';
// Losses exist to be differentiated: make tf.grad work even when nothing imported module.ts.
import '../gradients.js';
import { checkReduction, reduceLoss, type Reduction } from './reduction.js';

/**
 * Smooth-L1 (Huber divided by beta), as torch.nn.functional.smooth_l1_loss (torch 1.13): with
 * d = input − target, l = 0.5 · d² / beta where |d| < beta, else |d| − 0.5 · beta. beta 0 is
 * L1 exactly (detectron2's box regression); torchvision's R-CNN heads use beta 1/9.
 * Gradients follow torch's smooth_l1 backward, including at d = 0 with beta 0, where it is −1
 * (torch's l1_loss and detectron2's abs give 0 there): tfjs's abs gradient is −1 at 0 too.
 */
export interface SmoothL1Options {
  /** >= 0; default 1 (torch's default). */
  beta?: number;
  /** Default 'mean'; 'none' keeps the input's shape. */
  reduction?: Reduction;
}

const OP = 'smoothL1Loss';

export function smoothL1Loss<T extends tf.Tensor>(input: T, target: tf.Tensor, options: SmoothL1Options & { reduction: 'none' }): T;
export function smoothL1Loss(input: tf.Tensor, target: tf.Tensor, options?: SmoothL1Options & { reduction?: 'mean' | 'sum' }): tf.Scalar;
export function smoothL1Loss(input: tf.Tensor, target: tf.Tensor, options?: SmoothL1Options): tf.Tensor;
export function smoothL1Loss(input: tf.Tensor, target: tf.Tensor, options: SmoothL1Options = {}): tf.Tensor {
  const reduction = checkReduction(OP, options.reduction);
  const beta = options.beta ?? 1;
  if (!(beta >= 0) || !Number.isFinite(beta)) throw new Error(`${OP}: beta must be a finite number >= 0, got ${beta}`);
  if (input.shape.join('x') !== target.shape.join('x')) throw new Error(`${OP}: input [${input.shape}] and target [${target.shape}] differ`);
  return tf.tidy(() => {
    const d = tf.sub(input, target);
    const absD = tf.abs(d);
    if (beta === 0) return reduceLoss(absD, reduction);
    // |d| < beta as step(beta − |d|): the tape reaches the condition too, and comparisons
    // have no gradient in tfjs while step's is zero.
    const inside = tf.cast(tf.step(tf.sub(beta, absD)), 'bool');
    const loss = tf.where(inside, tf.div(tf.mul(tf.mul(d, d), 0.5), beta), tf.sub(absD, 0.5 * beta));
    return reduceLoss(loss, reduction);
  });
}
