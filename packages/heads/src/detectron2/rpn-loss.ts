/**
 * detectron2's RPN losses (modeling/proposal_generator/rpn.py label_and_sample_anchors and
 * losses, @02b5c4e): anchors labelled by the Matcher (IoU 0.3 / 0.7, low-quality matches: 1, 0,
 * -1), subsample_labels with 256 per image and half positives, then
 * - loss_rpn_cls: BCE with logits summed over the sampled anchors,
 * - loss_rpn_loc: smooth-L1 with beta 0 (= L1, RPN.SMOOTH_L1_BETA) summed over the sampled
 *   positives, between the head's deltas and get_deltas(anchor, matched GT) (weights 1),
 * both divided by batchSizePerImage · images (not by the number sampled, as torchvision).
 */
import * as tf from '@tensorflow/tfjs-core';
import { binaryCrossEntropyWithLogits, smoothL1Loss } from '@tfvision/nn';
import type { RandpermSource } from '../ops/balanced-sampler.js';
import type { BoxCoder } from '../ops/box-coder.js';
import type { Matcher } from '../ops/matcher.js';
import { gatherRows } from '../rpn/gather-rows.js';
import { assignTargetsToAnchors } from '../rpn/rpn-loss.js';
import { subsampleLabels } from './subsample-labels.js';

/** detectron2's loss names (a type, so tf.tidy can return it). */
export type Detectron2RpnLosses = {
  loss_rpn_cls: tf.Scalar;
  loss_rpn_loc: tf.Scalar;
};

export interface Detectron2RpnLossParts {
  matcher: Matcher;
  boxCoder: BoxCoder;
  batchSizePerImage: number;
  positiveFraction: number;
  smoothL1Beta: number;
  randperm: RandpermSource;
}

/**
 * @param objectness logits of every anchor of every image, batch-flat [N * A]
 * @param deltas the head's deltas, batch-flat [N * A, 4]
 * @param anchors one image's anchors, row-major [A, 4]
 * @param gtBoxes each image's GT boxes [G_i, 4]
 */
export function detectron2RpnLosses(objectness: tf.Tensor1D, deltas: tf.Tensor2D, anchors: Float32Array, gtBoxes: readonly tf.Tensor2D[], p: Detectron2RpnLossParts): Detectron2RpnLosses {
  const numAnchors = anchors.length / 4;
  const sampled: number[] = [];
  const sampledLabels: number[] = [];
  const positives: number[] = [];
  const gtRows: number[] = [];
  const anchorRows: number[] = [];
  gtBoxes.forEach((gt, img) => {
    const a = assignTargetsToAnchors(anchors, gt, p.matcher);
    const { positive, negative } = subsampleLabels(a.labels, p.batchSizePerImage, p.positiveFraction, 0, p.randperm);
    const label = new Int8Array(numAnchors).fill(-1);
    for (const i of positive) label[i] = 1;
    for (const i of negative) label[i] = 0;
    const offset = img * numAnchors;
    for (let j = 0; j < numAnchors; j++) {
      if (label[j] < 0) continue;
      sampled.push(offset + j);
      sampledLabels.push(label[j]);
      if (label[j] === 1) {
        positives.push(offset + j);
        const g = a.matchedGt[j];
        for (let c = 0; c < 4; c++) {
          gtRows.push(a.gtBoxes[4 * g + c]);
          anchorRows.push(anchors[4 * j + c]);
        }
      }
    }
  });
  const normalizer = p.batchSizePerImage * gtBoxes.length;
  return tf.tidy(() => {
    const np = positives.length;
    const targets = p.boxCoder.encodeSingle(tf.tensor2d(gtRows, [np, 4]), tf.tensor2d(anchorRows, [np, 4]));
    const loc = smoothL1Loss(gatherRows(deltas, Int32Array.from(positives)), targets, { beta: p.smoothL1Beta, reduction: 'sum' });
    const cls = binaryCrossEntropyWithLogits(gatherRows(objectness, Int32Array.from(sampled)), tf.tensor1d(sampledLabels, 'float32'), { reduction: 'sum' });
    return { loss_rpn_cls: tf.div(cls, normalizer) as tf.Scalar, loss_rpn_loc: tf.div(loc, normalizer) as tf.Scalar };
  });
}
