/**
 * torchvision's resize_boxes (models/detection/transform.py, 0.14): per-axis ratios
 * new/original computed as float32 tensors (a float32 division of the two sizes), then
 * x1, x2 scaled by the width ratio and y1, y2 by the height ratio in float32. No clipping.
 */
import * as tf from '@tensorflow/tfjs-core';

const OP = 'resizeBoxes';

function checkSize(name: string, size: readonly [number, number]): void {
  if (!Array.isArray(size) || size.length !== 2 || !size.every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error(`${OP}: ${name} must be [height, width] of positive integers, got ${JSON.stringify(size)}`);
  }
}

/** The float32 ratios [height, width] of `newSize` over `originalSize`. */
export function resizeRatios(originalSize: readonly [number, number], newSize: readonly [number, number]): [number, number] {
  checkSize('originalSize', originalSize);
  checkSize('newSize', newSize);
  // f32(a / b) of two exact float32 integers: a float64 quotient rounded once equals the float32 division.
  return [Math.fround(newSize[0] / originalSize[0]), Math.fround(newSize[1] / originalSize[1])];
}

/**
 * Boxes [N, 4] (x1, y1, x2, y2) of an image of `originalSize` mapped to one of `newSize`.
 * @example resizeBoxes(boxes, [427, 640], [799, 1199])
 */
export function resizeBoxes(boxes: tf.Tensor2D, originalSize: readonly [number, number], newSize: readonly [number, number]): tf.Tensor2D {
  if (!(boxes instanceof tf.Tensor) || boxes.rank !== 2 || boxes.shape[1] !== 4) {
    throw new Error(`${OP}: boxes must be [N, 4], got shape ${boxes instanceof tf.Tensor ? JSON.stringify(boxes.shape) : typeof boxes}`);
  }
  const [rh, rw] = resizeRatios(originalSize, newSize);
  return tf.tidy(() => tf.mul(tf.cast(boxes, 'float32'), tf.tensor2d([rw, rh, rw, rh], [1, 4], 'float32')));
}
