/**
 * COCO AP of a detector on the evaluation set with @tfvision/eval (pycocotools' numbers):
 * bbox, and segm for Mask R-CNN, with per-category AP keyed by category id. The model runs in
 * eval mode on each image and is put back in training mode after.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CocoResult, LabelMap } from '@tfvision/coco';
import { evaluateCoco, type CocoEvalSummary } from '@tfvision/eval';
import type { Detections, GeneralizedRcnn } from '@tfvision/heads';
import { detectionsToResults } from './coco-results.js';
import type { DetectionEvalSet } from './detection-data.js';
import { imageTensor } from './model-inputs.js';

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

export async function evaluateDetector(model: GeneralizedRcnn, set: DetectionEvalSet, labels: LabelMap, options: { limit?: number } = {}): Promise<DetectionEvalReport> {
  const wasTraining = model.training;
  model.eval();
  const bbox: CocoResult[] = [];
  const segm: CocoResult[] = [];
  const withMasks = model.config.type === 'mask_rcnn';
  const n = Math.min(set.length, options.limit ?? Infinity);
  const imageIds: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const sample = await set.get(i);
      imageIds.push(sample.imageId);
      const image = imageTensor(sample);
      const [d] = model.predict([image]);
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
