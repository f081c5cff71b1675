/**
 * Samples to the tensors a detector's losses take: images [H, W, 3] float32 in [0, 1]
 * (torchvision detectors take uint8 / 255), targets with boxes [N, 4] xyxy, labels int32 >= 1
 * (GeneralizedRcnn) and the same as 0-based classes (CascadeRcnn, detectron2's convention), and
 * for mask models binary masks [N, H, W].
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DetectionSample } from '@tfvision/coco';
import type { TrainingTargets } from './trainable-detector.js';

export interface ModelInputs {
  images: tf.Tensor3D[];
  targets: TrainingTargets[];
}

/** An image as the detector takes it: [H, W, 3] float32, 0..255 scaled to [0, 1]. */
export function imageTensor(sample: DetectionSample): tf.Tensor3D {
  const { data, width, height } = sample.image;
  const scaled = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) scaled[i] = data[i] / 255;
  return tf.tensor3d(scaled, [height, width, 3], 'float32');
}

export function toModelInputs(samples: readonly DetectionSample[], withMasks: boolean): ModelInputs {
  const images = samples.map(imageTensor);
  const targets = samples.map((s): TrainingTargets => {
    const n = s.labels.length;
    const boxes = tf.tensor2d(s.boxes, [n, 4], 'float32');
    const labels = tf.tensor1d(s.labels, 'int32');
    const classes = Int32Array.from(s.labels, (l) => l - 1);
    if (!withMasks) return { boxes, labels, classes };
    if (!s.masks) throw new Error(`toModelInputs: image ${s.imageId} has no masks but the model is a Mask R-CNN (open the dataset with masks)`);
    const { width, height } = s.image;
    const flat = new Float32Array(n * height * width);
    s.masks.forEach((m, k) => {
      for (let p = 0; p < m.length; p++) flat[k * height * width + p] = m[p];
    });
    return { boxes, labels, classes, masks: tf.tensor3d(flat, [n, height, width], 'float32') };
  });
  return { images, targets };
}

export function disposeModelInputs(inputs: ModelInputs): void {
  tf.dispose(inputs.images);
  for (const t of inputs.targets) tf.dispose([t.boxes, t.labels, ...(t.masks ? [t.masks] : [])]);
}
