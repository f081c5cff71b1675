/**
 * Host steps of torchvision 0.14 RegionProposalNetwork.filter_proposals (models/detection/rpn.py)
 * for one image: the per-level top-k of the objectness logits in torch's topk order, then, on
 * the decoded boxes of those candidates, clip to the image, drop boxes under minSize, drop
 * scores below scoreThresh (>=, as torchvision), batched NMS with the level as the class (both
 * of torchvision's batched_nms paths, switched by box count as on CPU), and keep the first
 * postNmsTopN. Thresholds are rounded to float32, as a float tensor compares with a scalar.
 */
import { batchedNmsIndices } from '../ops/batched-nms.js';
import { removeSmallBoxesIndices } from '../ops/box-ops.js';
import { torchTopkIndices } from './torch-topk.js';

export interface ProposalCandidates {
  /** Anchor indices within the image (offset by level), level by level, each level in topk order. */
  anchors: Int32Array;
  /** Level of each candidate (the batched NMS class). */
  levels: Int32Array;
}

/** torchvision _get_top_n_idx for one image's logits [sum A_l]: min(topN, A_l) per level. */
export function topCandidatesPerLevel(logits: Float32Array, numAnchorsPerLevel: readonly number[], topN: number): ProposalCandidates {
  const total = numAnchorsPerLevel.reduce((a, b) => a + b, 0);
  if (logits.length !== total) throw new Error(`RegionProposalNetwork: ${logits.length} logits for ${total} anchors`);
  const counts = numAnchorsPerLevel.map((n) => Math.min(topN, n));
  const size = counts.reduce((a, b) => a + b, 0);
  const anchors = new Int32Array(size);
  const levels = new Int32Array(size);
  let offset = 0;
  let k = 0;
  numAnchorsPerLevel.forEach((n, level) => {
    const top = torchTopkIndices(logits.subarray(offset, offset + n), counts[level]);
    for (let i = 0; i < top.length; i++) {
      anchors[k] = top[i] + offset;
      levels[k++] = level;
    }
    offset += n;
  });
  return { anchors, levels };
}

export interface ProposalFilterSettings {
  postNmsTopN: number;
  nmsThresh: number;
  scoreThresh: number;
  minSize: number;
}

export interface FilteredProposals {
  /** Row-major [K, 4]. */
  boxes: Float32Array;
  scores: Float32Array;
}

/** Clip, remove small, score threshold, NMS per level, top postNmsTopN: candidates [M] -> [K <= postNmsTopN]. */
export function filterImageProposals(
  boxes: Float32Array,
  scores: Float32Array,
  levels: Int32Array,
  imageSize: readonly [number, number],
  s: ProposalFilterSettings,
): FilteredProposals {
  const m = scores.length;
  const [height, width] = imageSize;
  const clipped = new Float32Array(4 * m);
  for (let i = 0; i < m; i++) {
    const b = 4 * i;
    clipped[b] = Math.min(Math.max(boxes[b], 0), width);
    clipped[b + 1] = Math.min(Math.max(boxes[b + 1], 0), height);
    clipped[b + 2] = Math.min(Math.max(boxes[b + 2], 0), width);
    clipped[b + 3] = Math.min(Math.max(boxes[b + 3], 0), height);
  }
  const large = removeSmallBoxesIndices(clipped, s.minSize);
  const threshold = Math.fround(s.scoreThresh);
  const kept: number[] = [];
  for (const i of large) if (scores[i] >= threshold) kept.push(i);
  const keptBoxes = new Float32Array(4 * kept.length);
  const keptScores = new Float32Array(kept.length);
  const keptLevels = new Int32Array(kept.length);
  kept.forEach((i, k) => {
    keptBoxes.set(clipped.subarray(4 * i, 4 * i + 4), 4 * k);
    keptScores[k] = scores[i];
    keptLevels[k] = levels[i];
  });
  const order = batchedNmsIndices(keptBoxes, keptScores, keptLevels, s.nmsThresh, { maxKeep: Math.max(0, Math.ceil(s.postNmsTopN)) });
  const count = Math.min(order.length, s.postNmsTopN);
  const outBoxes = new Float32Array(4 * count);
  const outScores = new Float32Array(count);
  for (let k = 0; k < count; k++) {
    const i = order[k];
    outBoxes.set(keptBoxes.subarray(4 * i, 4 * i + 4), 4 * k);
    outScores[k] = keptScores[i];
  }
  return { boxes: outBoxes, scores: outScores };
}
