/**
 * torchvision 0.14 fastrcnn_loss: cross-entropy (mean) of the class logits over every sampled
 * RoI, and smooth-L1 (beta 1/9, summed) of the positives' deltas of their ground-truth class
 * against the regression targets, divided by the number of sampled RoIs (not of positives).
 */
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy, smoothL1Loss } from '@tfvision/nn';

export interface FastRcnnLosses {
  lossClassifier: tf.Scalar;
  lossBoxReg: tf.Scalar;
}

/**
 * classLogits [S, C], boxDeltas [S, 4C] (class c at 4c..4c+3), labels [S] (0 = background),
 * regressionTargets [S, 4] (only the positives' rows are read, so background rows may be
 * infinite, as for an image without ground truth).
 */
export function fastRcnnLoss(classLogits: tf.Tensor2D, boxDeltas: tf.Tensor2D, labels: Int32Array, regressionTargets: tf.Tensor2D): FastRcnnLosses {
  const [s, c] = classLogits.shape;
  if (labels.length !== s || boxDeltas.shape[0] !== s || regressionTargets.shape[0] !== s || boxDeltas.shape[1] !== 4 * c) {
    throw new Error(`fastRcnnLoss: ${s} rows of [${s}, ${c}] logits need [${s}, ${4 * c}] deltas, ${s} labels and [${s}, 4] targets, got [${boxDeltas.shape}], ${labels.length} and [${regressionTargets.shape}]`);
  }
  return tf.tidy(() => {
    const lossClassifier = crossEntropy(classLogits, labels);
    // The label's 4 deltas by a one-hot product rather than a gather, whose gradient
    // (UnsortedSegmentSum) not every backend has; background rows select nothing.
    const oneHot = new Float32Array(s * c);
    const positive = new Uint8Array(s);
    for (let i = 0; i < s; i++) {
      if (labels[i] > 0) {
        oneHot[i * c + labels[i]] = 1;
        positive[i] = 1;
      }
    }
    const picked = tf.sum(tf.mul(tf.reshape(boxDeltas, [s, c, 4]), tf.tensor3d(oneHot, [s, c, 1])), 1);
    const isPositive = tf.tensor2d(positive, [s, 1], 'bool');
    const targets = tf.where(isPositive, regressionTargets, tf.zerosLike(regressionTargets));
    const perElement = smoothL1Loss(picked, targets, { beta: 1 / 9, reduction: 'none' });
    const boxLoss = tf.sum(tf.where(isPositive, perElement, tf.zerosLike(perElement)));
    return { lossClassifier, lossBoxReg: tf.div(boxLoss, s) as tf.Scalar };
  });
}
