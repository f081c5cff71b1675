/**
 * The loss of torchvision's segmentation reference (references/segmentation/train.py, criterion):
 * per head, cross-entropy over pixels with ignore_index 255 and the mean over the counted pixels;
 * the total is out + auxWeight · aux (0.5 in the reference) when the model has an auxiliary head.
 * Logits are NHWC at the label's size; labels are the row-major class maps of the batch.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SegmentationOutput } from '@tfvision/heads';
import { crossEntropy } from '@tfvision/nn';
import { IGNORE_INDEX } from './semantic-labels.js';

export interface SegmentationLossOptions {
  /** Weight of the auxiliary head's loss; default 0.5 (torchvision). */
  auxWeight?: number;
  /** Default 255. */
  ignoreIndex?: number;
}

export interface SegmentationLosses {
  out: tf.Scalar;
  aux?: tf.Scalar;
  /** out + auxWeight · aux. */
  total: tf.Scalar;
}

function pixelCrossEntropy(logits: tf.Tensor4D, labels: Int32Array, ignoreIndex: number, head: string): tf.Scalar {
  const [n, h, w, c] = logits.shape;
  if (labels.length !== n * h * w) throw new Error(`segmentationLoss: ${head} logits [${logits.shape}] need ${n * h * w} labels, got ${labels.length}`);
  return crossEntropy(tf.reshape(logits, [n * h * w, c]) as tf.Tensor2D, labels, { ignoreIndex });
}

export function segmentationLoss(output: SegmentationOutput, labels: Int32Array, options: SegmentationLossOptions = {}): SegmentationLosses {
  const auxWeight = options.auxWeight ?? 0.5;
  if (!(auxWeight >= 0 && Number.isFinite(auxWeight))) throw new Error(`segmentationLoss: auxWeight must be a finite number >= 0, got ${auxWeight}`);
  const ignoreIndex = options.ignoreIndex ?? IGNORE_INDEX;
  return tf.tidy(() => {
    const out = pixelCrossEntropy(output.out, labels, ignoreIndex, 'out');
    if (!output.aux) return { out, total: tf.clone(out) };
    const aux = pixelCrossEntropy(output.aux, labels, ignoreIndex, 'aux');
    return { out, aux, total: tf.add(out, tf.mul(aux, auxWeight)) as tf.Scalar };
  });
}
