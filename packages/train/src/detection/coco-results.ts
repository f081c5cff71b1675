/**
 * A detector's output as COCO results (torchvision's references/detection/coco_eval.py):
 * boxes xyxy to xywh (widths in float32, as computed on the box tensor there), labels mapped
 * back to category ids through the training LabelMap, masks thresholded at 0.5 and written as
 * compressed RLE.
 */
import * as tf from '@tensorflow/tfjs-core';
import { encodeMask, rleToCompressed, type CocoResult, type LabelMap } from '@tfvision/coco';
import type { Detections } from '@tfvision/heads';

export interface ImageResults {
  boxes: CocoResult[];
  /** Present for mask models. */
  segm?: CocoResult[];
}

/** Reads one image's detections (it does not dispose them). */
export function detectionsToResults(d: Detections, imageId: number, labels: LabelMap): ImageResults {
  const boxes = d.boxes.dataSync();
  const scores = d.scores.dataSync();
  const cls = d.labels.dataSync();
  const out: ImageResults = { boxes: [] };
  for (let i = 0; i < scores.length; i++) {
    const [x1, y1, x2, y2] = boxes.subarray(4 * i, 4 * i + 4);
    out.boxes.push({ image_id: imageId, category_id: labels.categoryId(cls[i]), bbox: [x1, y1, Math.fround(x2 - x1), Math.fround(y2 - y1)], score: scores[i] });
  }
  if (d.masks) {
    const [n, h, w] = d.masks.shape;
    const binary = tf.tidy(() => tf.cast(tf.greater(d.masks as tf.Tensor3D, 0.5), 'int32'));
    const bits = binary.dataSync();
    binary.dispose();
    out.segm = [];
    for (let i = 0; i < n; i++) {
      const rle = rleToCompressed(encodeMask(bits.subarray(i * h * w, (i + 1) * h * w), h, w));
      out.segm.push({ image_id: imageId, category_id: labels.categoryId(cls[i]), segmentation: rle, score: scores[i] });
    }
  }
  return out;
}
