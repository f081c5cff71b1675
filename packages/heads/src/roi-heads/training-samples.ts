/**
 * torchvision 0.14 RoIHeads.select_training_samples: the ground-truth boxes are appended to each
 * image's proposals, every proposal is matched to its best ground truth (Matcher without
 * low-quality matches), labelled with that box's class (background 0 below the low threshold,
 * -1 in the ignored band, which the sampler skips), the sampler draws positives and negatives,
 * the sampled rows are kept in ascending index order, and their regression targets are encoded
 * against the matched ground truth. An image without ground truth is all background.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BalancedPositiveNegativeSampler } from '../ops/balanced-sampler.js';
import type { BoxCoder } from '../ops/box-coder.js';
import { boxIouArrays } from '../ops/box-ops.js';
import { Matcher } from '../ops/matcher.js';

/** One image's ground truth on the host. */
export interface HostTargets {
  /** Row-major [G, 4]. */
  boxes: Float32Array;
  labels: Int32Array;
}

export interface TrainingSamples {
  /** Sampled proposals per image, [S_i, 4]. */
  proposals: tf.Tensor2D[];
  /** The same on the host, row-major. */
  hostProposals: Float32Array[];
  /** Ground-truth index of each sampled row (0 where the image has none). */
  matchedIdxs: Int32Array[];
  /** Class of each sampled row: the matched ground truth's, or 0 for background. */
  labels: Int32Array[];
  /** Encoded targets of every image's sampled rows, concatenated: [sum S_i, 4]. */
  regressionTargets: tf.Tensor2D;
}

export interface SamplingParts {
  matcher: Matcher;
  sampler: BalancedPositiveNegativeSampler;
  boxCoder: BoxCoder;
}

/** Matched ground truth (clamped to >= 0) and labels of every proposal of one image. */
function assignTargets(proposals: Float32Array, targets: HostTargets, matcher: Matcher): { matched: Int32Array; labels: Int32Array } {
  const n = proposals.length / 4;
  const g = targets.labels.length;
  const matched = new Int32Array(n);
  const labels = new Int32Array(n);
  if (g === 0) return { matched, labels };
  const matches = matcher.matchIndices(boxIouArrays(targets.boxes, proposals), g, n);
  for (let i = 0; i < n; i++) {
    const m = matches[i];
    matched[i] = Math.max(m, 0);
    labels[i] = m === Matcher.BELOW_LOW_THRESHOLD ? 0 : m === Matcher.BETWEEN_THRESHOLDS ? -1 : targets.labels[m];
  }
  return { matched, labels };
}

export function selectTrainingSamples(proposals: readonly Float32Array[], targets: readonly HostTargets[], parts: SamplingParts): TrainingSamples {
  const hostProposals: Float32Array[] = [];
  const matchedIdxs: Int32Array[] = [];
  const labels: Int32Array[] = [];
  const matchedBoxes: Float32Array[] = [];
  proposals.forEach((own, img) => {
    const t = targets[img];
    const all = new Float32Array(own.length + t.boxes.length);
    all.set(own);
    all.set(t.boxes, own.length);
    const assigned = assignTargets(all, t, parts.matcher);
    const masks = parts.sampler.sampleMasks(assigned.labels);
    const sampled: number[] = [];
    for (let i = 0; i < assigned.labels.length; i++) if (masks.positive[i] === 1 || masks.negative[i] === 1) sampled.push(i);
    const rows = new Float32Array(4 * sampled.length);
    const gtRows = new Float32Array(4 * sampled.length);
    const m = new Int32Array(sampled.length);
    const l = new Int32Array(sampled.length);
    sampled.forEach((i, k) => {
      rows.set(all.subarray(4 * i, 4 * i + 4), 4 * k);
      m[k] = assigned.matched[i];
      l[k] = assigned.labels[i];
      // torchvision matches an image without ground truth to one all-zero box.
      if (t.labels.length > 0) gtRows.set(t.boxes.subarray(4 * m[k], 4 * m[k] + 4), 4 * k);
    });
    hostProposals.push(rows);
    matchedIdxs.push(m);
    labels.push(l);
    matchedBoxes.push(gtRows);
  });
  const total = labels.reduce((s, l) => s + l.length, 0);
  const regressionTargets = tf.tidy(() => parts.boxCoder.encodeSingle(tf.tensor2d(concat(matchedBoxes), [total, 4]), tf.tensor2d(concat(hostProposals), [total, 4])));
  const sampledProposals = hostProposals.map((p) => tf.tensor2d(p, [p.length / 4, 4]));
  return { proposals: sampledProposals, hostProposals, matchedIdxs, labels, regressionTargets };
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
