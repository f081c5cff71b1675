/**
 * Non-maximum suppression equal to torchvision 0.14's CPU kernel (csrc/ops/cpu/nms_kernel.cpp):
 * boxes are visited in stable descending score order (ties: lower index first), and a box is
 * dropped when its float32 IoU with a kept box, inter / (area_i + area_j - inter) with no +1,
 * is strictly greater than the threshold compared in double precision (so IoU float32(0.3)
 * suppresses at threshold 0.3). Identical zero-area boxes have IoU 0/0 = NaN and never suppress.
 * Like tfjs's own NMS the work is on the host: the tensors are read once and the kept indices
 * returned as int32.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertBoxes, assertHostBoxes, assertIouThreshold, assertScores } from './assert-boxes.js';
import { ascendingPositions, stableDescendingOrder } from './score-order.js';

/** Indices of the kept boxes, by decreasing score: boxes [N, 4], scores [N] -> int32 [K]. */
export function nms(boxes: tf.Tensor2D, scores: tf.Tensor1D, iouThreshold: number): tf.Tensor1D {
  assertBoxes('nms', 'boxes', boxes);
  assertScores('nms', scores, boxes.shape[0]);
  assertIouThreshold('nms', iouThreshold);
  return tf.tensor1d(nmsIndices(boxes.dataSync() as Float32Array, scores.dataSync() as Float32Array, iouThreshold), 'int32');
}

/** Host core of nms over row-major [N, 4] boxes and [N] scores. */
export function nmsIndices(boxes: Float32Array, scores: Float32Array, iouThreshold: number, maxKeep = Infinity): Int32Array {
  assertHostBoxes('nms', 'boxes', boxes, scores.length);
  assertIouThreshold('nms', iouThreshold);
  assertMaxKeep('nms', maxKeep);
  return suppressInOrder(boxes, stableDescendingOrder(scores), iouThreshold, maxKeep);
}

/** maxKeep must be a whole number >= 0 or Infinity. */
export function assertMaxKeep(op: string, maxKeep: number): void {
  if (!(maxKeep === Infinity || (Number.isInteger(maxKeep) && maxKeep >= 0))) throw new Error(`${op}: maxKeep must be a whole number >= 0 or Infinity, got ${maxKeep}`);
}

/**
 * Greedy suppression over `order` (box indices, best first): returns the kept box indices in
 * visiting order. With a threshold >= 0 only overlapping boxes interact, so the boxes are split
 * into runs of overlapping x-intervals (a box in one run has zero-width intersection with every
 * box of another, hence IoU 0 or NaN, which never exceeds the threshold) and each run is
 * suppressed on its own: the same keep list, without scanning disjoint pairs. This is what
 * makes the coordinate trick of batched NMS, whose shifted classes never overlap, cheap.
 * `maxKeep`: only the first maxKeep kept boxes are wanted (an RPN's post-NMS top-k). Greedy
 * suppression decides a box from the boxes before it only, so stopping once maxKeep are kept
 * gives the first maxKeep of the full list; each run stops there too (no run can give more of
 * the first maxKeep than that).
 */
export function suppressInOrder(boxes: Float32Array, order: Int32Array, iouThreshold: number, maxKeep = Infinity): Int32Array {
  const m = order.length;
  if (m < 128 || !(iouThreshold >= 0)) return suppressDense(boxes, order, iouThreshold, maxKeep);
  const x1 = new Float32Array(m);
  const x2 = new Float32Array(m);
  for (let p = 0; p < m; p++) {
    const b = 4 * order[p];
    x1[p] = boxes[b];
    x2[p] = boxes[b + 2];
    if (x1[p] !== x1[p] || x2[p] !== x2[p] || boxes[b + 1] !== boxes[b + 1] || boxes[b + 3] !== boxes[b + 3]) {
      return suppressDense(boxes, order, iouThreshold, maxKeep);
    }
  }
  // Sweep by x1: a run ends where the next box starts at or after every x2 seen so far.
  const byX1 = ascendingPositions(x1);
  const run = new Int32Array(m);
  let runs = 0;
  let reach = -Infinity;
  for (let k = 0; k < m; k++) {
    const p = byX1[k];
    if (k > 0 && x1[p] >= reach) runs++;
    run[p] = runs;
    if (x2[p] > reach) reach = x2[p];
  }
  runs++;
  if (runs === 1) return suppressDense(boxes, order, iouThreshold, maxKeep);
  // Members of each run in visiting order (counting sort by run, stable in p).
  const starts = new Int32Array(runs + 1);
  for (let p = 0; p < m; p++) starts[run[p] + 1]++;
  for (let r = 0; r < runs; r++) starts[r + 1] += starts[r];
  const fill = starts.slice(0, runs);
  const grouped = new Int32Array(m);
  for (let p = 0; p < m; p++) grouped[fill[run[p]]++] = order[p];
  const kept = new Uint8Array(boxes.length / 4);
  let total = 0;
  for (let r = 0; r < runs; r++) {
    const members = grouped.subarray(starts[r], starts[r + 1]);
    if (members.length === 1) {
      kept[members[0]] = 1;
      total++;
      continue;
    }
    const keep = suppressDense(boxes, members, iouThreshold, maxKeep);
    for (let k = 0; k < keep.length; k++) kept[keep[k]] = 1;
    total += keep.length;
  }
  const out = new Int32Array(Math.min(total, maxKeep));
  for (let p = 0, k = 0; p < m && k < out.length; p++) if (kept[order[p]] === 1) out[k++] = order[p];
  return out;
}

/** The kernel's double loop over `order` (stopping once `maxKeep` are kept); coordinates are gathered into visiting order so the inner loop reads contiguous memory. */
export function suppressDense(boxes: Float32Array, order: Int32Array, iouThreshold: number, maxKeep = Infinity): Int32Array {
  const fround = Math.fround;
  const m = order.length;
  const x1 = new Float32Array(m);
  const y1 = new Float32Array(m);
  const x2 = new Float32Array(m);
  const y2 = new Float32Array(m);
  const area = new Float32Array(m);
  for (let p = 0; p < m; p++) {
    const b = 4 * order[p];
    x1[p] = boxes[b];
    y1[p] = boxes[b + 1];
    x2[p] = boxes[b + 2];
    y2[p] = boxes[b + 3];
    area[p] = fround(x2[p] - x1[p]) * fround(y2[p] - y1[p]);
  }
  const suppressed = new Uint8Array(m);
  const keep = new Int32Array(m);
  let kept = 0;
  // A disjoint pair has IoU 0 (or NaN): it can only suppress when the threshold is negative.
  const skipDisjoint = iouThreshold >= 0;
  for (let a = 0; a < m && kept < maxKeep; a++) {
    if (suppressed[a] === 1) continue;
    keep[kept++] = order[a];
    const ax1 = x1[a];
    const ay1 = y1[a];
    const ax2 = x2[a];
    const ay2 = y2[a];
    const aArea = area[a];
    for (let b = a + 1; b < m; b++) {
      if (suppressed[b] === 1) continue;
      // std::max / std::min as the kernel writes them: (a < b) ? b : a.
      const xx1 = ax1 < x1[b] ? x1[b] : ax1;
      const xx2 = x2[b] < ax2 ? x2[b] : ax2;
      const dw = fround(xx2 - xx1);
      const w = 0 < dw ? dw : 0;
      if (w === 0 && skipDisjoint) continue;
      const yy1 = ay1 < y1[b] ? y1[b] : ay1;
      const yy2 = y2[b] < ay2 ? y2[b] : ay2;
      const dh = fround(yy2 - yy1);
      const h = 0 < dh ? dh : 0;
      if (h === 0 && skipDisjoint) continue;
      const inter = fround(w * h);
      const iou = fround(inter / fround(fround(aArea + area[b]) - inter));
      if (iou > iouThreshold) suppressed[b] = 1;
    }
  }
  return keep.slice(0, kept);
}
