/**
 * detectron2's FastRCNNOutputLayers.losses (modeling/roi_heads/fast_rcnn.py @02b5c4e) for
 * class-agnostic regression, as each cascade stage trains: loss_cls = cross-entropy (mean) with
 * the background as the LAST class (index K); loss_box_reg = smooth-L1 with beta
 * ROI_BOX_HEAD.SMOOTH_L1_BETA (0: L1) summed over the foreground rows (0 <= class < K), between
 * the predicted deltas and get_deltas(proposal, matched GT) under the stage's weights, divided by
 * the number of rows (all of them, at least 1).
 */
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy, smoothL1Loss } from '@tfvision/nn';
import type { BoxCoder } from '../ops/box-coder.js';

export type Detectron2FastRcnnLosses = {
  loss_cls: tf.Scalar;
  loss_box_reg: tf.Scalar;
};

/**
 * classLogits [R, K + 1], boxDeltas [R, 4], gtClasses [R] (K = background), proposals and
 * gtBoxes row-major [R, 4] (gtBoxes only read on foreground rows).
 */
export function detectron2FastRcnnLoss(classLogits: tf.Tensor2D, boxDeltas: tf.Tensor2D, gtClasses: Int32Array, proposals: Float32Array, gtBoxes: Float32Array, boxCoder: BoxCoder, smoothL1Beta: number): Detectron2FastRcnnLosses {
  const [r, c] = classLogits.shape;
  const k = c - 1;
  if (gtClasses.length !== r || boxDeltas.shape[0] !== r || boxDeltas.shape[1] !== 4 || proposals.length !== 4 * r || gtBoxes.length !== 4 * r) {
    throw new Error(`detectron2FastRcnnLoss: ${r} rows need [${r}, 4] class-agnostic deltas, ${r} classes and ${r} proposal and GT boxes, got [${boxDeltas.shape}], ${gtClasses.length}, ${proposals.length / 4} and ${gtBoxes.length / 4}`);
  }
  const fg: number[] = [];
  gtClasses.forEach((g, i) => {
    if (!(Number.isInteger(g) && g >= 0 && g <= k)) throw new Error(`detectron2FastRcnnLoss: gtClasses[${i}] must be in 0..${k}, got ${g}`);
    if (g < k) fg.push(i);
  });
  const fgProposals = new Float32Array(4 * fg.length);
  const fgGt = new Float32Array(4 * fg.length);
  const select = new Float32Array(fg.length * r);
  fg.forEach((i, j) => {
    fgProposals.set(proposals.subarray(4 * i, 4 * i + 4), 4 * j);
    fgGt.set(gtBoxes.subarray(4 * i, 4 * i + 4), 4 * j);
    select[j * r + i] = 1;
  });
  return tf.tidy(() => {
    const lossCls = r === 0 ? tf.mul(tf.sum(classLogits), 0) : crossEntropy(classLogits, gtClasses);
    // Foreground rows by a 0/1 matrix product rather than a gather, whose gradient not every backend has.
    const picked = tf.matMul(tf.tensor2d(select, [fg.length, r]), boxDeltas);
    const targets = boxCoder.encodeSingle(tf.tensor2d(fgGt, [fg.length, 4]), tf.tensor2d(fgProposals, [fg.length, 4]));
    const box = smoothL1Loss(picked, targets, { beta: smoothL1Beta, reduction: 'sum' });
    return { loss_cls: lossCls as tf.Scalar, loss_box_reg: tf.div(box, Math.max(r, 1)) as tf.Scalar };
  });
}
