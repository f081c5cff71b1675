/**
 * mIoU of a segmenter on the evaluation set, as torchvision's segmentation reference evaluates
 * (references/segmentation/train.py evaluate, utils.ConfusionMatrix): each image (and its label,
 * nearest) resized so the shorter side is `evalSize` (520 in the reference; the image's own size
 * when absent), normalised, run in eval mode at batch 1, argmax of `out`, and one confusion
 * matrix over all pixels whose label is not 255 (@tfvision/eval's SegmentationMetrics: pixel
 * accuracy, per-class IoU, mIoU as the nan-mean over classes). Inputs are zero-padded at the
 * bottom and right to the model's side multiple (16 for DeepLabV3+) and the padding cropped off.
 * The model is put back in its previous mode after.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SegmentationMetrics } from '@tfvision/eval';
import type { Segmenter } from '@tfvision/heads';
import type { ImageU8 } from '../augment/image.js';
import type { SegmentationSample } from './segmentation-data.js';
import { IGNORE_INDEX, type SemanticLabels } from './semantic-labels.js';
import { normaliseInto, resizeLabelledShorterSide } from './segmentation-transforms.js';

export interface SegmentationEvalSource {
  readonly length: number;
  readonly labels: SemanticLabels;
  get(i: number): Promise<SegmentationSample>;
}

export interface SegmentationEvalOptions {
  mean: readonly number[];
  std: readonly number[];
  /** Shorter side the images are evaluated at; absent: their own size. */
  evalSize?: number;
  /** Evaluate the first N images only. */
  limit?: number;
  /** Keep the image and predicted classes of the first N images (for drawing). Default 0. */
  keepPredictions?: number;
}

export interface ClassScore {
  class: number;
  /** COCO category id (absent for background). */
  categoryId?: number;
  name: string;
  /** null where the class is absent from labels and predictions (NaN, left out of mIoU). */
  iou: number | null;
  /** Recall; null where the class is absent from the labels. */
  accuracy: number | null;
  /** Labelled pixels of the class. */
  pixels: number;
}

/** What was evaluated on one image, at the evaluation size. */
export interface SegmentationPrediction {
  imageId: number;
  fileName: string;
  image: ImageU8;
  /** Row-major predicted classes. */
  prediction: Uint8Array;
  label: Uint8Array;
}

export interface SegmentationEvalReport {
  images: number;
  /** Labelled (not ignored) pixels scored. */
  pixels: number;
  mIoU: number;
  pixelAccuracy: number;
  meanClassAccuracy: number;
  fwIoU: number;
  perClass: ClassScore[];
  predictions: SegmentationPrediction[];
}

const finite = (v: number): number | null => (Number.isNaN(v) ? null : v);

/** Logits of one normalised HWC image padded to `multiple`, argmax over the unpadded pixels. */
function predictClasses(model: Segmenter, image: ImageU8, mean: readonly number[], std: readonly number[]): Uint8Array {
  const { height: h, width: w } = image;
  const m = model.sideMultiple;
  const ph = Math.ceil(h / m) * m;
  const pw = Math.ceil(w / m) * m;
  const data = new Float32Array(h * w * 3);
  normaliseInto(image, mean, std, data);
  const classes = tf.tidy(() => {
    let x = tf.tensor4d(data, [1, h, w, 3]);
    if (ph !== h || pw !== w) x = tf.pad(x, [[0, 0], [0, ph - h], [0, pw - w], [0, 0]]);
    const { out, aux } = model.forward(x);
    if (aux) aux.dispose();
    return tf.argMax(tf.slice(out, [0, 0, 0, 0], [1, h, w, -1]), 3);
  });
  try {
    return Uint8Array.from(classes.dataSync() as Int32Array);
  } finally {
    classes.dispose();
  }
}

export async function evaluateSegmenter(model: Segmenter, set: SegmentationEvalSource, o: SegmentationEvalOptions): Promise<SegmentationEvalReport> {
  const numClasses = set.labels.numClasses;
  if (model.numClasses !== numClasses) throw new Error(`evaluateSegmenter: the model has ${model.numClasses} classes, the evaluation set ${numClasses} (background + ${numClasses - 1} categories)`);
  const metrics = new SegmentationMetrics(numClasses, { ignoreIndex: IGNORE_INDEX });
  const n = Math.min(set.length, o.limit ?? Infinity);
  const keep = o.keepPredictions ?? 0;
  const predictions: SegmentationPrediction[] = [];
  const wasTraining = model.training;
  model.eval();
  try {
    for (let i = 0; i < n; i++) {
      const sample = await set.get(i);
      const { image, label } = o.evalSize === undefined ? sample : resizeLabelledShorterSide(sample, o.evalSize);
      const prediction = predictClasses(model, image, o.mean, o.std);
      metrics.update(prediction, label.data);
      if (i < keep) predictions.push({ imageId: sample.imageId, fileName: sample.fileName, image, prediction, label: label.data });
    }
  } finally {
    model.train(wasTraining);
  }
  const r = metrics.compute();
  const perClass: ClassScore[] = [];
  for (let k = 0; k < numClasses; k++) {
    let pixels = 0;
    for (let p = 0; p < numClasses; p++) pixels += r.confusion[k * numClasses + p];
    perClass.push({ class: k, ...(k > 0 ? { categoryId: set.labels.categoryIds[k - 1] } : {}), name: set.labels.names[k], iou: finite(r.iou[k]), accuracy: finite(r.classAccuracy[k]), pixels });
  }
  return { images: n, pixels: r.pixels, mIoU: r.mIoU, pixelAccuracy: r.pixelAccuracy, meanClassAccuracy: r.meanClassAccuracy, fwIoU: r.fwIoU, perClass, predictions };
}
