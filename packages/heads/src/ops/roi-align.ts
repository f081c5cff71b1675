import * as tf from '@tensorflow/tfjs-core';
import { RoiAlign, type RoiAlignAttrs } from '../kernels/roi-align-attrs.js';
import { registerHeadsKernels } from '../kernels/register-heads-kernels.js';

/**
 * RoIAlign (He et al., Mask R-CNN), equal to torchvision 0.14's torchvision.ops.roi_align
 * (CPU kernel rules, DETECTION-SEMANTICS.md section 6) on NHWC features: [K, outH, outW, C].
 * Differentiable with respect to the features (kernels TfvRoiAlign / TfvRoiAlignGrad per
 * backend); the RoIs get no gradient, as in torchvision.
 *
 * samplingRatio: > 0 samples that many points per bin side; 0 is adaptive (ceil(roi size /
 * output size) per axis). torchvision treats any value <= 0 as adaptive and defaults to -1;
 * here a negative value is an error and the default is 0, the same behaviour.
 * aligned: true is detectron2's ROIAlignV2 (boxes shifted by -0.5 pixel, not widened to 1).
 */
export interface RoiAlignOptions {
  /** Bins per RoI, [height, width], or one number for both. */
  outputSize: number | readonly [number, number];
  /** Feature-map pixels per box unit (1 / stride). Default 1. */
  spatialScale?: number;
  /** Samples per bin side; 0 = adaptive. Default 0. */
  samplingRatio?: number;
  /** Half-pixel alignment (ROIAlignV2). Default false. */
  aligned?: boolean;
  /**
   * Pool only the RoIs with roiLevels[k] === level (one entry per RoI); the other rows are 0.
   * MultiScaleRoIAlign runs each level so and sums them, which keeps the box order.
   */
  select?: { roiLevels: ArrayLike<number>; level: number };
}

/** [K, 5] rows of (batch index, x1, y1, x2, y2), or one [Ni, 4] box tensor per image. */
export type RoiInput = tf.Tensor2D | readonly tf.Tensor2D[];

const shapeText = (t: tf.Tensor) => `[${t.shape.join(', ')}]`;

/** torchvision's convert_boxes_to_roi_format: boxes of image i get batch index i. */
export function boxesToRois(boxes: readonly tf.Tensor2D[], op = 'roiAlign'): tf.Tensor2D {
  boxes.forEach((b, i) => {
    if (b.rank !== 2 || b.shape[1] !== 4) throw new Error(`${op}: boxes[${i}] must be [N, 4] (x1, y1, x2, y2), got shape ${shapeText(b)}`);
  });
  if (boxes.length === 0) return tf.zeros([0, 5]);
  return tf.tidy(() => {
    const rows = boxes.map((b, i) => tf.concat([tf.fill([b.shape[0], 1], i), tf.cast(b, 'float32')], 1));
    return (rows.length === 1 ? rows[0] : tf.concat(rows, 0)) as tf.Tensor2D;
  });
}

/** The kernel attributes after checking the options; errors name the op and the bad value. */
export function roiAlignAttrs(options: RoiAlignOptions, op = 'roiAlign'): RoiAlignAttrs {
  const size = typeof options.outputSize === 'number' ? [options.outputSize, options.outputSize] : options.outputSize;
  if (size.length !== 2 || !size.every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error(`${op}: outputSize must be a positive integer or two of them, got ${JSON.stringify(options.outputSize)}`);
  }
  const spatialScale = options.spatialScale ?? 1;
  if (!(Number.isFinite(spatialScale) && spatialScale > 0)) throw new Error(`${op}: spatialScale must be a finite number > 0, got ${spatialScale}`);
  const samplingRatio = options.samplingRatio ?? 0;
  if (!(Number.isInteger(samplingRatio) && samplingRatio >= 0)) {
    throw new Error(`${op}: samplingRatio must be an integer >= 0 (0 = adaptive), got ${samplingRatio}`);
  }
  const roiLevels = options.select ? Array.from(options.select.roiLevels) : [];
  const level = options.select?.level ?? -1;
  return { pooledHeight: size[0], pooledWidth: size[1], spatialScale, samplingRatio, aligned: options.aligned ?? false, roiLevels, level };
}

export function roiAlign(features: tf.Tensor4D, rois: RoiInput, options: RoiAlignOptions): tf.Tensor4D {
  const attrs = roiAlignAttrs(options);
  if (features.rank !== 4) throw new Error(`roiAlign: features must be a 4-D NHWC tensor, got shape ${shapeText(features)}`);
  if (features.dtype !== 'float32') throw new Error(`roiAlign: features must be float32, got ${features.dtype}`);
  const isList = Array.isArray(rois);
  if (!isList) {
    const r = rois as tf.Tensor2D;
    if (r.rank !== 2 || r.shape[1] !== 5) throw new Error(`roiAlign: rois must be [K, 5] (batch index, x1, y1, x2, y2), got shape ${shapeText(r)}`);
  }
  registerHeadsKernels();
  return tf.tidy(() => {
    const table = isList ? boxesToRois(rois as readonly tf.Tensor2D[]) : (rois as tf.Tensor2D);
    const r = table.dtype === 'float32' ? table : tf.cast(table, 'float32');
    if (attrs.roiLevels.length > 0 && attrs.roiLevels.length !== r.shape[0]) {
      throw new Error(`roiAlign: select.roiLevels must have one level per RoI (${r.shape[0]}), got ${attrs.roiLevels.length}`);
    }
    return tf.engine().runKernel(RoiAlign, { x: features, rois: r }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  });
}
