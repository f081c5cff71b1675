/**
 * Box utilities equal to torchvision 0.14 `ops/boxes.py` (box_area, box_iou,
 * clip_boxes_to_image, remove_small_boxes). Boxes are float32 (x1, y1, x2, y2) in absolute
 * pixels with no "+1"; each float32 operation is the one torchvision does, in its order, so the
 * results agree exactly on the cpu and wasm backends. Sizes and thresholds that torchvision
 * passes as Python floats are rounded to float32 first, as a float tensor op does with a scalar.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertBoxes } from './assert-boxes.js';

/** Area of each box, (x2 - x1) * (y2 - y1): [N, 4] -> [N]. Negative-size boxes give negative areas, as in torchvision. */
export function boxArea(boxes: tf.Tensor2D): tf.Tensor1D {
  assertBoxes('boxArea', 'boxes', boxes);
  return tf.tidy(() => {
    const [x1, y1, x2, y2] = tf.unstack(boxes, 1);
    return tf.mul(tf.sub(x2, x1), tf.sub(y2, y1)) as tf.Tensor1D;
  });
}

/** Pairwise IoU matrix, inter / (area1 + area2 - inter): [N, 4] x [M, 4] -> [N, M]. */
export function boxIou(boxes1: tf.Tensor2D, boxes2: tf.Tensor2D): tf.Tensor2D {
  assertBoxes('boxIou', 'boxes1', boxes1);
  assertBoxes('boxIou', 'boxes2', boxes2);
  return tf.tidy(() => {
    const n = boxes1.shape[0];
    const area1 = boxArea(boxes1);
    const area2 = boxArea(boxes2);
    const b1 = tf.reshape(boxes1, [n, 1, 4]);
    const lt = tf.maximum(tf.slice(b1, [0, 0, 0], [-1, -1, 2]), tf.slice(boxes2, [0, 0], [-1, 2]));
    const rb = tf.minimum(tf.slice(b1, [0, 0, 2], [-1, -1, 2]), tf.slice(boxes2, [0, 2], [-1, 2]));
    const wh = tf.maximum(tf.sub(rb, lt), 0);
    const [w, h] = tf.unstack(wh, 2);
    const inter = tf.mul(w, h);
    const union = tf.sub(tf.add(tf.reshape(area1, [n, 1]), area2), inter);
    return tf.div(inter, union) as tf.Tensor2D;
  });
}

/**
 * boxIou on the host, row-major [N, 4] x [M, 4] -> [N, M]: the float32 operations of boxIou in
 * its order (areas, max/min corners, clamped sides, inter / (area1 + area2 - inter)), so the
 * values are boxIou's bit for bit. The matchers read their IoU matrix on the host: this skips
 * the ~15 small kernels (and the upload and download) boxIou costs per image and step.
 */
export function boxIouArrays(boxes1: Float32Array, boxes2: Float32Array): Float32Array {
  if (boxes1.length % 4 !== 0 || boxes2.length % 4 !== 0) throw new Error(`boxIouArrays: boxes must hold 4 values per box, got ${boxes1.length} and ${boxes2.length} values`);
  const f = Math.fround;
  const n = boxes1.length / 4;
  const m = boxes2.length / 4;
  const area2 = new Float32Array(m);
  for (let j = 0; j < m; j++) area2[j] = f(f(boxes2[4 * j + 2] - boxes2[4 * j]) * f(boxes2[4 * j + 3] - boxes2[4 * j + 1]));
  const out = new Float32Array(n * m);
  for (let i = 0; i < n; i++) {
    const ax1 = boxes1[4 * i], ay1 = boxes1[4 * i + 1], ax2 = boxes1[4 * i + 2], ay2 = boxes1[4 * i + 3];
    const area1 = f(f(ax2 - ax1) * f(ay2 - ay1));
    for (let j = 0; j < m; j++) {
      const w = Math.max(f(Math.min(ax2, boxes2[4 * j + 2]) - Math.max(ax1, boxes2[4 * j])), 0);
      const h = Math.max(f(Math.min(ay2, boxes2[4 * j + 3]) - Math.max(ay1, boxes2[4 * j + 1])), 0);
      const inter = f(w * h);
      out[i * m + j] = f(inter / f(f(area1 + area2[j]) - inter));
    }
  }
  return out;
}

/** Clamps x to [0, width] and y to [0, height]; `size` is (height, width) as in torchvision. Any [..., 4] shape. */
export function clipBoxesToImage<T extends tf.Tensor>(boxes: T, size: readonly [number, number]): T {
  assertBoxes('clipBoxesToImage', 'boxes', boxes, true);
  const [height, width] = size;
  for (const [name, v] of [['height', height], ['width', width]] as const) {
    if (!Number.isFinite(v) || v < 0) throw new Error(`clipBoxesToImage: ${name} must be a finite number >= 0, got ${v}`);
  }
  return tf.tidy(() => tf.minimum(tf.maximum(boxes, 0), tf.tensor1d([width, height, width, height], 'float32'))) as T;
}

/** Indices (ascending) of the boxes whose width and height are both >= minSize: [N, 4] -> int32 [K]. */
export function removeSmallBoxes(boxes: tf.Tensor2D, minSize: number): tf.Tensor1D {
  assertBoxes('removeSmallBoxes', 'boxes', boxes);
  return tf.tensor1d(removeSmallBoxesIndices(boxes.dataSync() as Float32Array, minSize), 'int32');
}

/** Host core of removeSmallBoxes over row-major [N, 4] boxes. */
export function removeSmallBoxesIndices(boxes: Float32Array, minSize: number): Int32Array {
  if (typeof minSize !== 'number' || Number.isNaN(minSize)) throw new Error(`removeSmallBoxes: minSize must be a number, got ${minSize}`);
  if (boxes.length % 4 !== 0) throw new Error(`removeSmallBoxes: boxes must hold 4 values per box, got ${boxes.length} values`);
  const fround = Math.fround;
  const min = fround(minSize);
  const n = boxes.length / 4;
  const keep = new Int32Array(n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const w = fround(boxes[4 * i + 2] - boxes[4 * i]);
    const h = fround(boxes[4 * i + 3] - boxes[4 * i + 1]);
    if (w >= min && h >= min) keep[k++] = i;
  }
  return keep.slice(0, k);
}
