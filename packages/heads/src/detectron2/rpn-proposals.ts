/**
 * Host steps of detectron2's find_top_rpn_proposals (modeling/proposal_generator/
 * proposal_utils.py @02b5c4e) for one image, after the per-level top-k of the logits (the same
 * torch topk as torchvision's, see rpn/filter-proposals.ts): drop non-finite rows, clip to the
 * image, keep boxes with width and height > minSize (strict; detectron2's MIN_SIZE 0), batched
 * NMS with the level as the class, ranked by the raw logits (torchvision ranks sigmoid
 * probabilities, which tie where the sigmoid saturates), then the first postNmsTopK.
 */
import { batchedNmsIndices } from '../ops/batched-nms.js';

export interface Detectron2ProposalSettings {
  postNmsTopK: number;
  nmsThresh: number;
  minSize: number;
}

export interface HostProposals {
  /** Row-major [K, 4]. */
  boxes: Float32Array;
  /** Objectness logits [K], in decreasing order. */
  logits: Float32Array;
}

export function selectDetectron2Proposals(boxes: Float32Array, logits: Float32Array, levels: Int32Array, imageSize: readonly [number, number], s: Detectron2ProposalSettings): HostProposals {
  const [height, width] = imageSize;
  const m = logits.length;
  const keptBoxes: number[] = [];
  const keptLogits: number[] = [];
  const keptLevels: number[] = [];
  const threshold = Math.fround(s.minSize);
  for (let i = 0; i < m; i++) {
    const b = 4 * i;
    if (!(Number.isFinite(boxes[b]) && Number.isFinite(boxes[b + 1]) && Number.isFinite(boxes[b + 2]) && Number.isFinite(boxes[b + 3]) && Number.isFinite(logits[i]))) continue;
    const x1 = Math.min(Math.max(boxes[b], 0), width);
    const y1 = Math.min(Math.max(boxes[b + 1], 0), height);
    const x2 = Math.min(Math.max(boxes[b + 2], 0), width);
    const y2 = Math.min(Math.max(boxes[b + 3], 0), height);
    if (!(Math.fround(x2 - x1) > threshold && Math.fround(y2 - y1) > threshold)) continue;
    keptBoxes.push(x1, y1, x2, y2);
    keptLogits.push(logits[i]);
    keptLevels.push(levels[i]);
  }
  const b = Float32Array.from(keptBoxes);
  const l = Float32Array.from(keptLogits);
  const order = batchedNmsIndices(b, l, Int32Array.from(keptLevels), s.nmsThresh, { maxKeep: Math.max(0, Math.ceil(s.postNmsTopK)) });
  const count = Math.min(order.length, s.postNmsTopK);
  const out: HostProposals = { boxes: new Float32Array(4 * count), logits: new Float32Array(count) };
  for (let k = 0; k < count; k++) {
    out.boxes.set(b.subarray(4 * order[k], 4 * order[k] + 4), 4 * k);
    out.logits[k] = l[order[k]];
  }
  return out;
}
