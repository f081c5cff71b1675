/**
 * Training targets and losses of torchvision 0.14's RegionProposalNetwork
 * (models/detection/rpn.py assign_targets_to_anchors and compute_loss):
 * - labels per anchor from the Matcher (fg 0.7, bg 0.3, low-quality matches on): matched -> 1,
 *   below bg -> 0, between -> -1 (ignored); an image without GT boxes is all background;
 * - the sampler picks positives and negatives per image; over the whole batch, positives (in
 *   ascending batch-flat order, as torch.where gives them) then negatives are the sampled set;
 * - objectness: BCE with logits, mean over the sampled set;
 * - box regression: smooth-L1 (beta 1/9) between the head's deltas and encode(matched GT,
 *   anchor), summed over sampled positives and divided by the size of the sampled set.
 * Regression targets are encoded only for the sampled positives: encode is row-wise, so those
 * rows are the ones torchvision computes for every anchor.
 */
import * as tf from '@tensorflow/tfjs-core';
import { binaryCrossEntropyWithLogits, smoothL1Loss } from '@tfvision/nn';
import type { BalancedPositiveNegativeSampler } from '../ops/balanced-sampler.js';
import { boxIouArrays } from '../ops/box-ops.js';
import { gatherRows } from './gather-rows.js';
import type { BoxCoder } from '../ops/box-coder.js';
import { Matcher } from '../ops/matcher.js';

/** One image's anchor labels (1, 0, -1) and the GT box index each matched anchor regresses to. */
export interface AnchorAssignment {
  labels: Float32Array;
  matchedGt: Int32Array;
  /** The image's GT boxes, row-major [G, 4]. */
  gtBoxes: Float32Array;
}

/** torchvision's loss_objectness and loss_rpn_box_reg (a type, so tf.tidy can return it). */
export type RpnLosses = {
  lossObjectness: tf.Scalar;
  lossRpnBoxReg: tf.Scalar;
};

/** Matches one image's GT boxes [G, 4] to the anchors, row-major [A, 4] on the host (every image shares them). */
export function assignTargetsToAnchors(anchors: Float32Array, gtBoxes: tf.Tensor2D, matcher: Matcher): AnchorAssignment {
  const numAnchors = anchors.length / 4;
  const numGt = gtBoxes.shape[0];
  const gtHost = gtBoxes.dataSync() as Float32Array;
  if (numGt === 0) return { labels: new Float32Array(numAnchors), matchedGt: new Int32Array(numAnchors), gtBoxes: gtHost };
  const quality = boxIouArrays(gtHost, anchors);
  const matches = matcher.matchIndices(quality, numGt, numAnchors);
  const labels = new Float32Array(numAnchors);
  const matchedGt = new Int32Array(numAnchors);
  for (let j = 0; j < numAnchors; j++) {
    const m = matches[j];
    labels[j] = m >= 0 ? 1 : m === Matcher.BETWEEN_THRESHOLDS ? -1 : 0;
    matchedGt[j] = Math.max(m, 0);
  }
  return { labels, matchedGt, gtBoxes: gtHost };
}

/**
 * The two RPN losses over a batch.
 * @param objectness the head's logits for every anchor of every image, batch-flat [N * A]
 * @param deltas the head's deltas, batch-flat [N * A, 4]
 * @param anchors one image's anchors, row-major [A, 4] (all images share them)
 */
export function rpnLosses(
  objectness: tf.Tensor1D,
  deltas: tf.Tensor2D,
  anchors: Float32Array,
  assignments: readonly AnchorAssignment[],
  sampler: BalancedPositiveNegativeSampler,
  boxCoder: BoxCoder,
): RpnLosses {
  const numAnchors = anchors.length / 4;
  const positives: number[] = [];
  const negatives: number[] = [];
  assignments.forEach((a, i) => {
    const { positive, negative } = sampler.sampleMasks(a.labels);
    const offset = i * numAnchors;
    for (let j = 0; j < numAnchors; j++) {
      if (positive[j] === 1) positives.push(offset + j);
      if (negative[j] === 1) negatives.push(offset + j);
    }
  });
  const sampled = [...positives, ...negatives];
  const sampledLabels = Float32Array.from(sampled, (p) => assignments[Math.floor(p / numAnchors)].labels[p % numAnchors]);
  const gtRows = new Float32Array(4 * positives.length);
  const anchorRows = new Float32Array(4 * positives.length);
  positives.forEach((p, k) => {
    const a = assignments[Math.floor(p / numAnchors)];
    const j = p % numAnchors;
    const g = a.matchedGt[j];
    gtRows.set(a.gtBoxes.subarray(4 * g, 4 * g + 4), 4 * k);
    anchorRows.set(anchors.subarray(4 * j, 4 * j + 4), 4 * k);
  });
  return tf.tidy(() => {
    const targets = boxCoder.encodeSingle(tf.tensor2d(gtRows, [positives.length, 4]), tf.tensor2d(anchorRows, [positives.length, 4]));
    const predicted = gatherRows(deltas, Int32Array.from(positives));
    const boxSum = smoothL1Loss(predicted, targets, { beta: 1 / 9, reduction: 'sum' });
    const lossRpnBoxReg = tf.div(boxSum, sampled.length) as tf.Scalar;
    const logits = gatherRows(objectness, Int32Array.from(sampled));
    const lossObjectness = binaryCrossEntropyWithLogits(logits, tf.tensor1d(sampledLabels, 'float32'));
    return { lossObjectness, lossRpnBoxReg };
  });
}
