import type * as tf from '@tensorflow/tfjs-core';

/**
 * One image's detections (detectron2's Instances, torchvision's output dict): every field has
 * one row per detection. Boxes are (x1, y1, x2, y2) in the input image's pixels; labels are the
 * model's own class indices; masks, when present, are probabilities pasted into the image.
 */
export interface Detections {
  boxes: tf.Tensor2D;
  scores: tf.Tensor1D;
  labels: tf.Tensor1D;
  masks?: tf.Tensor3D;
}

/** One image's ground truth for training: boxes in the input image's pixels, labels >= 1 (0 is background), binary masks [N, H, W]. */
export interface DetectionTargets {
  boxes: tf.Tensor2D;
  labels: tf.Tensor1D;
  masks?: tf.Tensor3D;
}

/** Checks that every field has the same number of rows, naming `op` and the fields in the error. */
export function checkInstances(fields: Record<string, tf.Tensor | undefined>, op: string): number {
  let rows: number | undefined;
  let first = '';
  for (const [name, t] of Object.entries(fields)) {
    if (t === undefined) continue;
    if (name === 'boxes' && (t.rank !== 2 || t.shape[1] !== 4)) throw new Error(`${op}: boxes must be [N, 4], got [${t.shape}]`);
    if (rows === undefined) {
      rows = t.shape[0];
      first = name;
    } else if (t.shape[0] !== rows) throw new Error(`${op}: ${name} has ${t.shape[0]} rows but ${first} has ${rows}`);
  }
  return rows ?? 0;
}

/** Frees every tensor of a Detections (or targets) record. */
export function disposeInstances(x: Detections | DetectionTargets): void {
  x.boxes.dispose();
  x.labels.dispose();
  x.masks?.dispose();
  if ('scores' in x) x.scores.dispose();
}
