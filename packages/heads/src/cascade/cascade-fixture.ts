/**
 * The fixtures of packages/heads/tools/reference/cascade.py (detectron2's Cascade Mask R-CNN on
 * hash weights) and the comparisons the default and slow tests share.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { RcnnImageSpec } from '../testing/rcnn-images.js';

export interface Summary {
  shape: number[];
  sum: number;
  sumsq: number;
  absmax: number;
  positions: number[];
  values: number[];
}

export interface CascadeFixture {
  model: string;
  reference: string;
  settings: { minSize: number; maxSize: number; scoreThresh: number; rpnPostNmsTopNTest: number; detectionsPerImg: number };
  images: (RcnnImageSpec & { name: string })[];
  stateDictKeys: { name: string; shape: number[] }[];
  transform: { batch: Summary; imageSizes: [number, number][] };
  fpn: Record<string, Summary>;
  proposals: { count: number; first: number[][]; logits: number[]; summary: Summary }[];
  stages: { proposals: { count: number; first: number[][]; summary: Summary }[]; probs: Summary[]; boxes: Summary[] }[];
  detections: { boxes: number[][]; scores: number[]; labels: number[]; maskSums: number[] }[];
  masks: Summary[];
}

export interface CascadeTrainingFixture {
  reference: string;
  images: (RcnnImageSpec & { name: string; classes: number[] })[];
  trainSize: number;
  randpermSizes: number[];
  losses: Record<string, number>;
}

/**
 * Values at the summary's positions that differ by more than `tol` · max|ref| (a value may come
 * from a row up to two places away when `rowSwap`, the row width, is set: two proposals whose
 * logits tie in float32 may come out in either order), and whether the sum agrees.
 */
export function summaryMismatches(got: ArrayLike<number>, ref: Summary, tol = 1e-4, rowSwap = 0): { bad: number[]; sumOk: boolean } {
  const scale = Math.max(ref.absmax, 1e-30);
  const near = (p: number, want: number) => Math.abs(got[p] - want) <= tol * scale;
  const bad = ref.positions.filter((p, k) => !near(p, ref.values[k]) && !(rowSwap > 0 && [-2, -1, 1, 2].some((d) => p + d * rowSwap >= 0 && p + d * rowSwap < got.length && near(p + d * rowSwap, ref.values[k]))));
  let sum = 0;
  for (let i = 0; i < got.length; i++) sum += got[i];
  return { bad, sumOk: Math.abs(sum - ref.sum) <= tol * Math.sqrt(ref.sumsq * Math.max(got.length, 1)) };
}

function iou(a: readonly number[], b: readonly number[]): number {
  const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = iw * ih;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : a.every((v, i) => v === b[i]) ? 1 : 0;
}

/**
 * Issue #15's criterion: every reference detection has a partner among ours, not used twice,
 * with the same label, IoU >= minIou and |score difference| <= scoreTol. Returns the partner of
 * each reference detection (-1: none) and one line per unmatched detection.
 */
export function matchDetections(d: { boxes: tf.Tensor; scores: tf.Tensor; labels: tf.Tensor }, ref: { boxes: number[][]; scores: number[]; labels: number[] }, minIou = 0.995, scoreTol = 2e-6): { partner: number[]; unmatched: string[] } {
  const boxes = d.boxes.arraySync() as number[][];
  const scores = Array.from(d.scores.dataSync());
  const labels = Array.from(d.labels.dataSync());
  const used = new Set<number>();
  const unmatched: string[] = [];
  const partner = ref.scores.map((score, k) => {
    // Nearest rank first: equal candidates are usually neighbours (near-tie swaps).
    const order = [...scores.keys()].sort((a, b) => Math.abs(a - k) - Math.abs(b - k));
    const j = order.find((c) => !used.has(c) && labels[c] === ref.labels[k] && Math.abs(scores[c] - score) <= scoreTol && iou(boxes[c], ref.boxes[k]) >= minIou);
    if (j === undefined) {
      unmatched.push(`#${k} label ${ref.labels[k]} score ${score} box [${ref.boxes[k]}] (ours #${k}: label ${labels[k]} score ${scores[k]} box [${boxes[k]}])`);
      return -1;
    }
    used.add(j);
    return j;
  });
  return { partner, unmatched };
}
