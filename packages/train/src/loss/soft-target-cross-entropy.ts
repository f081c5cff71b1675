import type * as tf from '@tensorflow/tfjs-core';
import { crossEntropy } from '@tfvision/nn';

/**
 * Cross entropy against soft targets (label smoothing, mixup): mean over the batch of
 * −Σ_c target_c · log_softmax(logits)_c. The training recipe's name for @tfvision/nn's
 * crossEntropy with probability targets, which is where the loss is implemented (once, for
 * classification and the detection heads alike).
 */
export function softTargetCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return crossEntropy(logits, targets);
}
