import * as tf from '@tensorflow/tfjs-core';

/**
 * Cross entropy against soft targets (label smoothing, mixup): mean over the batch of
 * −Σ_c target_c · log_softmax(logits)_c. logSoftmax keeps it finite for large logits, where
 * log(softmax) would underflow to −∞.
 */
export function softTargetCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  if (logits.shape.join('x') !== targets.shape.join('x')) {
    throw new Error(`softTargetCrossEntropy: logits [${logits.shape}] and targets [${targets.shape}] differ`);
  }
  return tf.tidy(() => tf.mean(tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits, -1)), -1))) as tf.Scalar);
}
