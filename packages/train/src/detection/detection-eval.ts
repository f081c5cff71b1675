/**
 * COCO AP of a detector on the evaluation set with @tfvision/eval (pycocotools' numbers):
 * bbox, and segm for mask models, with per-category AP keyed by category id. The model runs in
 * eval mode on each image and is put back in training mode after. Any TrainableDetector:
 * detectron2's models predict 0-based classes, which are shifted to the LabelMap's 1..K first.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CocoResult, LabelMap } from '@tfvision/coco';
import { evaluateCoco, type CocoEvalSummary } from '@tfvision/eval';
import type { Detections } from '@tfvision/heads';
import { detectionsToResults } from './coco-results.js';
import type { DetectionEvalSet } from './detection-data.js';
import { imageTensor } from './model-inputs.js';
import { detectorHasMasks, firstForegroundLabel, type TrainableDetector } from './trainable-detector.js';

export interface IouTypeScores {
  /** pycocotools' 12 summarize() numbers (AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl). */
  stats: number[];
  perCategoryAP: Record<string, number>;
}

export interface DetectionEvalReport {
  bbox: IouTypeScores;
  segm?: IouTypeScores;
  images: number;
  detections: number;
  results: { bbox: CocoResult[]; segm?: CocoResult[] };
}

function disposeDetections(d: Detections): void {
  tf.dispose([d.boxes, d.scores, d.labels, ...(d.masks ? [d.masks] : [])]);
}

/** With no result at all pycocotools cannot run; every AP and AR is then 0 where the category has ground truth. */
function scoresOf(summary: CocoEvalSummary | undefined, set: DetectionEvalSet): IouTypeScores {
  if (summary) return { stats: summary.stats, perCategoryAP: summary.perCategoryAP };
  const perCategoryAP: Record<string, number> = {};
  for (const c of set.coco.categories) perCategoryAP[String(c.id)] = set.coco.annotations.some((a) => a.category_id === c.id && a.iscrowd === 0) ? 0 : -1;
  return { stats: new Array(12).fill(0), perCategoryAP };
}

/** `d` with its labels moved to start at 1 (the LabelMap's first label); `d` itself when they already do. */
function withLabelsFromOne(d: Detections, first: 0 | 1): Detections {
  if (first === 1) return d;
  const labels = tf.tidy(() => tf.add(d.labels, tf.scalar(1, 'int32')) as tf.Tensor1D);
  d.labels.dispose();
  return { ...d, labels };
}

export async function evaluateDetector(model: TrainableDetector, set: DetectionEvalSet, labels: LabelMap, options: { limit?: number } = {}): Promise<DetectionEvalReport> {
  const wasTraining = model.training;
  model.eval();
  const bbox: CocoResult[] = [];
  const segm: CocoResult[] = [];
  const withMasks = detectorHasMasks(model);
  const first = firstForegroundLabel(model);
  const n = Math.min(set.length, options.limit ?? Infinity);
  const imageIds: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const sample = await set.get(i);
      imageIds.push(sample.imageId);
      const image = imageTensor(sample);
      const d = withLabelsFromOne(model.predict([image])[0], first);
      image.dispose();
      try {
        const r = detectionsToResults(d, sample.imageId, labels);
        bbox.push(...r.boxes);
        if (r.segm) segm.push(...r.segm);
      } finally {
        disposeDetections(d);
      }
    }
  } finally {
    model.train(wasTraining);
  }
  // Only the images that were run are scored (a limit evaluates a prefix of the set).
  const params = { imgIds: imageIds };
  const evalType = (results: CocoResult[], iouType: 'bbox' | 'segm') => scoresOf(results.length > 0 ? evaluateCoco(set.coco, results, iouType, params) : undefined, set);
  return {
    bbox: evalType(bbox, 'bbox'),
    ...(withMasks ? { segm: evalType(segm, 'segm') } : {}),
    images: n,
    detections: bbox.length,
    results: { bbox, ...(withMasks ? { segm } : {}) },
  };
}
