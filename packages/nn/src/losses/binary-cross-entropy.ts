import * as tf from '@tensorflow/tfjs-core';
// Losses exist to be differentiated: make tf.grad work even when nothing imported module.ts.
import '../gradients.js';
import { checkBroadcastsTo, checkReduction, reduceLoss, type Reduction } from './reduction.js';

/**
 * Binary cross-entropy on logits, as torch.nn.functional.binary_cross_entropy_with_logits
 * (torch 1.13), in its numerically stable form: with m = max(−x, 0) and
 * lw = (posWeight − 1) · t + 1,
 *   l = (1 − t) · x + lw · (log(e^{−m} + e^{−x−m}) + m),
 * which is −[pw · t · log σ(x) + (1 − t) · log(1 − σ(x))] without overflow at |x| = 100.
 * Autodiff through these ops gives torch's gradient lw · σ(x) − pw · t (σ(x) − t without
 * posWeight), times `weight`. 'mean' divides by the element count (weights do not enter it).
 */
export interface BinaryCrossEntropyOptions {
  /** Rescales each element's loss; broadcasts to the logits' shape (torch's `weight`). */
  weight?: tf.Tensor;
  /** Weight of the positive term, broadcast over the last axis: one per class (torch's `pos_weight`). */
  posWeight?: tf.Tensor;
  /** Default 'mean'; 'none' keeps the logits' shape. */
  reduction?: Reduction;
}

const OP = 'binaryCrossEntropyWithLogits';

export function binaryCrossEntropyWithLogits<T extends tf.Tensor>(logits: T, targets: tf.Tensor, options: BinaryCrossEntropyOptions & { reduction: 'none' }): T;
export function binaryCrossEntropyWithLogits(logits: tf.Tensor, targets: tf.Tensor, options?: BinaryCrossEntropyOptions & { reduction?: 'mean' | 'sum' }): tf.Scalar;
export function binaryCrossEntropyWithLogits(logits: tf.Tensor, targets: tf.Tensor, options?: BinaryCrossEntropyOptions): tf.Tensor;
export function binaryCrossEntropyWithLogits(logits: tf.Tensor, targets: tf.Tensor, options: BinaryCrossEntropyOptions = {}): tf.Tensor {
  const reduction = checkReduction(OP, options.reduction);
  if (logits.shape.join('x') !== targets.shape.join('x')) throw new Error(`${OP}: logits [${logits.shape}] and targets [${targets.shape}] differ`);
  if (targets.dtype !== 'float32') throw new Error(`${OP}: targets must be float32, got ${targets.dtype}`);
  const { weight, posWeight } = options;
  if (weight) checkBroadcastsTo(OP, 'weight', weight.shape, logits.shape);
  if (posWeight) checkBroadcastsTo(OP, 'posWeight', posWeight.shape, logits.shape);
  return tf.tidy(() => {
    const m = tf.relu(tf.neg(logits));
    const logTerm = tf.add(tf.log(tf.add(tf.exp(tf.neg(m)), tf.exp(tf.sub(tf.neg(logits), m)))), m);
    const positive = posWeight ? tf.mul(tf.add(tf.mul(tf.sub(posWeight, 1), targets), 1), logTerm) : logTerm;
    let loss = tf.add(tf.mul(tf.sub(1, targets), logits), positive);
    if (weight) loss = tf.mul(loss, weight);
    return reduceLoss(loss, reduction);
  });
}
