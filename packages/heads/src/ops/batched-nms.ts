/**
 * Class-aware NMS equal to torchvision 0.14 `ops/boxes.py` batched_nms, with both of its code
 * paths, because their keep lists differ in rounding and tie order:
 * - coordinate trick (boxes.numel() <= 4000 on CPU): every box is shifted by
 *   class * (max coordinate + 1) in float32 and one NMS runs over all of them;
 * - per-class ("vanilla", numel > 4000 on CPU): NMS per class on the unshifted boxes, the kept
 *   indices taken in ascending order and re-sorted by score with torch's unstable CPU sort
 *   (see torch-cpu-sort.ts for the order its ties come out in).
 * torchvision switches at 20000 on CUDA; we reproduce its CPU results, so the default switch is
 * the CPU one (`vanillaAboveNumel`, exposed so either path can be chosen and tested).
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertBoxes, assertHostBoxes, assertIouThreshold, assertScores } from './assert-boxes.js';
import { assertMaxKeep, nmsIndices, suppressInOrder } from './nms.js';
import { stableDescendingOrder } from './score-order.js';
import { torchCpuSortDescending } from './torch-cpu-sort.js';

/** torchvision's CPU switch: more than this many box coordinates take the per-class path. */
export const CPU_VANILLA_ABOVE_NUMEL = 4000;
/** torchvision's CUDA switch, for reference (a CUDA reference run uses this instead). */
export const CUDA_VANILLA_ABOVE_NUMEL = 20000;

export interface BatchedNmsOptions {
  /** Use the per-class path when 4 * N exceeds this (default 4000, torchvision on CPU). */
  vanillaAboveNumel?: number;
  /**
   * Return only the first maxKeep indices (default all): torchvision's `keep[:post_nms_top_n]`.
   * The coordinate-trick path stops suppressing there (the same indices, less work); the
   * per-class path, whose final order is a sort over every class's keeps, runs whole and is cut.
   */
  maxKeep?: number;
}

/** Indices of the kept boxes, by decreasing score, suppressing only within a class: -> int32 [K]. */
export function batchedNms(boxes: tf.Tensor2D, scores: tf.Tensor1D, idxs: tf.Tensor1D, iouThreshold: number, options: BatchedNmsOptions = {}): tf.Tensor1D {
  assertBoxes('batchedNms', 'boxes', boxes);
  const n = boxes.shape[0];
  assertScores('batchedNms', scores, n);
  if (idxs.rank !== 1 || idxs.shape[0] !== n) throw new Error(`batchedNms: idxs must have shape [${n}], got [${idxs.shape.join(', ')}]`);
  const classes = idxs.dtype === 'int32' ? (idxs.dataSync() as Int32Array) : integerClasses(idxs.dataSync());
  const keep = batchedNmsIndices(boxes.dataSync() as Float32Array, scores.dataSync() as Float32Array, classes, iouThreshold, options);
  return tf.tensor1d(keep, 'int32');
}

/** Host core of batchedNms over row-major [N, 4] boxes, [N] scores and [N] class ids. */
export function batchedNmsIndices(boxes: Float32Array, scores: Float32Array, idxs: Int32Array, iouThreshold: number, options: BatchedNmsOptions = {}): Int32Array {
  const n = scores.length;
  assertHostBoxes('batchedNms', 'boxes', boxes, n);
  if (idxs.length !== n) throw new Error(`batchedNms: idxs must have ${n} entries, got ${idxs.length}`);
  assertIouThreshold('batchedNms', iouThreshold);
  const limit = options.vanillaAboveNumel ?? CPU_VANILLA_ABOVE_NUMEL;
  if (Number.isNaN(limit)) throw new Error(`batchedNms: vanillaAboveNumel must be a number, got ${limit}`);
  const maxKeep = options.maxKeep ?? Infinity;
  assertMaxKeep('batchedNms', maxKeep);
  if (4 * n > limit) {
    const all = batchedNmsPerClass(boxes, scores, idxs, iouThreshold);
    return all.length > maxKeep ? all.slice(0, maxKeep) : all;
  }
  return batchedNmsCoordinateTrick(boxes, scores, idxs, iouThreshold, maxKeep);
}

/** torchvision `_batched_nms_coordinate_trick`. */
export function batchedNmsCoordinateTrick(boxes: Float32Array, scores: Float32Array, idxs: Int32Array, iouThreshold: number, maxKeep = Infinity): Int32Array {
  const n = scores.length;
  if (n === 0) return new Int32Array(0);
  const fround = Math.fround;
  let max = boxes[0];
  for (let i = 1; i < boxes.length; i++) {
    const v = boxes[i];
    if (v > max || v !== v) max = v;
    if (max !== max) break;
  }
  const step = fround(max + 1);
  const shifted = new Float32Array(boxes.length);
  for (let i = 0; i < n; i++) {
    const offset = fround(fround(idxs[i]) * step);
    const b = 4 * i;
    shifted[b] = boxes[b] + offset;
    shifted[b + 1] = boxes[b + 1] + offset;
    shifted[b + 2] = boxes[b + 2] + offset;
    shifted[b + 3] = boxes[b + 3] + offset;
  }
  return nmsIndices(shifted, scores, iouThreshold, maxKeep);
}

/** torchvision `_batched_nms_vanilla`. */
export function batchedNmsPerClass(boxes: Float32Array, scores: Float32Array, idxs: Int32Array, iouThreshold: number): Int32Array {
  const n = scores.length;
  const keepMask = new Uint8Array(n);
  const groups = groupByClass(idxs);
  for (let g = 0; g + 1 < groups.starts.length; g++) {
    const members = groups.members.subarray(groups.starts[g], groups.starts[g + 1]);
    const kept = suppressInOrder(boxes, stableDescendingOrder(scores, members), iouThreshold);
    for (let k = 0; k < kept.length; k++) keepMask[kept[k]] = 1;
  }
  let count = 0;
  for (let i = 0; i < n; i++) count += keepMask[i];
  const keepAscending = new Int32Array(count);
  const keptScores = new Float32Array(count);
  for (let i = 0, k = 0; i < n; i++) {
    if (keepMask[i] === 1) {
      keepAscending[k] = i;
      keptScores[k++] = scores[i];
    }
  }
  const order = torchCpuSortDescending(keptScores);
  return order.map((p) => keepAscending[p]);
}

/** Box indices grouped by class, each group in ascending index order (as torch.where gives them). */
function groupByClass(idxs: Int32Array): { members: Int32Array; starts: Int32Array } {
  const n = idxs.length;
  if (n === 0) return { members: new Int32Array(0), starts: new Int32Array([0]) };
  let lo = idxs[0];
  let hi = idxs[0];
  for (let i = 1; i < n; i++) {
    if (idxs[i] < lo) lo = idxs[i];
    if (idxs[i] > hi) hi = idxs[i];
  }
  const members = new Int32Array(n);
  if (hi - lo <= 4 * n + 1024) {
    // Counting sort over the class range: linear, and stable so each group stays ascending.
    const counts = new Int32Array(hi - lo + 2);
    for (let i = 0; i < n; i++) counts[idxs[i] - lo + 1]++;
    let groupsCount = 0;
    for (let c = 1; c < counts.length; c++) {
      if (counts[c] > 0) groupsCount++;
      counts[c] += counts[c - 1];
    }
    const starts = new Int32Array(groupsCount + 1);
    for (let c = 0, g = 0; c + 1 < counts.length; c++) if (counts[c + 1] > counts[c]) starts[g++] = counts[c];
    starts[groupsCount] = n;
    const next = counts.slice(0, counts.length - 1);
    for (let i = 0; i < n; i++) members[next[idxs[i] - lo]++] = i;
    return { members, starts };
  }
  for (let i = 0; i < n; i++) members[i] = i;
  members.sort((a, b) => idxs[a] - idxs[b] || a - b);
  const starts = [0];
  for (let i = 1; i < n; i++) if (idxs[members[i]] !== idxs[members[i - 1]]) starts.push(i);
  starts.push(n);
  return { members, starts: Int32Array.from(starts) };
}

function integerClasses(values: ArrayLike<number>): Int32Array {
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw new Error(`batchedNms: idxs must hold integer class ids, got ${v} at ${i}`);
    out[i] = v;
  }
  return out;
}
