/**
 * torchvision 0.14 maskrcnn_loss and its project_masks_on_boxes: each positive RoI's target is
 * its matched ground-truth mask (as float) RoIAligned to M x M over the RoI (spatial scale 1,
 * adaptive sampling: torchvision's default sampling_ratio -1, unaligned); the loss is the mean
 * binary cross-entropy with logits of the ground-truth class's channel over positives x M x M,
 * and mask_logits.sum() * 0 when there are no positives (a zero that keeps the graph).
 */
import * as tf from '@tensorflow/tfjs-core';
import { binaryCrossEntropyWithLogits } from '@tfvision/nn';
import { roiAlign } from '../ops/roi-align.js';

/** Channel labels[i] of row i: [P, H, W, C] -> [P, H, W] (a one-hot product, so it is differentiable everywhere). */
export function pickClassChannel(x: tf.Tensor4D, labels: Int32Array): tf.Tensor3D {
  const [p, , , c] = x.shape;
  if (labels.length !== p) throw new Error(`pickClassChannel: ${p} rows but ${labels.length} labels`);
  const oneHot = new Float32Array(p * c);
  labels.forEach((l, i) => {
    if (!(Number.isInteger(l) && l >= 0 && l < c)) throw new Error(`pickClassChannel: labels[${i}] must be in 0..${c - 1}, got ${l}`);
    oneHot[i * c + l] = 1;
  });
  return tf.tidy(() => tf.sum(tf.mul(x, tf.tensor4d(oneHot, [p, 1, 1, c])), 3));
}

/** Targets of one image: gtMasks [G, H, W] (any numeric dtype), boxes row-major [P, 4], matched ground truth per box -> [P, M, M]. */
export function projectMasksOnBoxes(gtMasks: tf.Tensor3D, boxes: Float32Array, matchedIdxs: Int32Array, resolution: number): tf.Tensor3D {
  const p = matchedIdxs.length;
  const rois = new Float32Array(5 * p);
  for (let i = 0; i < p; i++) {
    rois[5 * i] = matchedIdxs[i];
    rois.set(boxes.subarray(4 * i, 4 * i + 4), 5 * i + 1);
  }
  return tf.tidy(() => {
    const masks = tf.expandDims(tf.cast(gtMasks, 'float32'), 3) as tf.Tensor4D;
    const pooled = roiAlign(masks, tf.tensor2d(rois, [p, 5]), { outputSize: resolution, spatialScale: 1, samplingRatio: 0, aligned: false });
    return tf.reshape(pooled, [p, resolution, resolution]) as tf.Tensor3D;
  });
}

/** One image's positive RoIs for the mask loss. */
export interface MaskLossImage {
  gtMasks: tf.Tensor3D;
  gtLabels: Int32Array;
  /** Row-major [P, 4]. */
  boxes: Float32Array;
  matchedIdxs: Int32Array;
}

/** maskLogits [sum P_i, M, M, C] of every image's positives, in image order. */
export function maskRcnnLoss(maskLogits: tf.Tensor4D, images: readonly MaskLossImage[]): tf.Scalar {
  const resolution = maskLogits.shape[1];
  const total = images.reduce((s, im) => s + im.matchedIdxs.length, 0);
  if (total !== maskLogits.shape[0]) throw new Error(`maskRcnnLoss: ${maskLogits.shape[0]} mask logits for ${total} positive RoIs`);
  return tf.tidy(() => {
    if (total === 0) return tf.mul(tf.sum(maskLogits), 0) as tf.Scalar;
    const labels = new Int32Array(total);
    const targets: tf.Tensor3D[] = [];
    let at = 0;
    for (const im of images) {
      im.matchedIdxs.forEach((m, i) => (labels[at + i] = im.gtLabels[m]));
      at += im.matchedIdxs.length;
      if (im.matchedIdxs.length > 0) targets.push(projectMasksOnBoxes(im.gtMasks, im.boxes, im.matchedIdxs, resolution));
    }
    const target = targets.length === 1 ? targets[0] : tf.concat(targets, 0);
    return binaryCrossEntropyWithLogits(pickClassChannel(maskLogits, labels), target);
  });
}
