/**
 * The detector reference images of packages/heads/tools/reference/rcnn.py (and rcnn_transform.py),
 * rebuilt in TypeScript: a dark textured background
 *   x[c, h, w] = 0.2 + 0.05 · sin(phase(name) + i · GOLDEN),  i the flat CHW index,
 *   phase(name) = fnv1a32(name) / 2^32 · 2π,
 * computed in float64, with each rectangle (x1, y1, x2, y2 exclusive, colour r, g, b) painted
 * over it in order, then rounded to float32. Returned HWC, as the transform takes images.
 * Pure formula noise would make every RoI look alike; the rectangles give the heads objects.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fnv1a32 } from '@tfvision/backbones';

export const GOLDEN = 2.399963229728653;

// Closure constant: a global Math lookup in a hot loop is slow inside jest's vm context.
const { sin } = Math;

/** One image as the generators describe it (the fixtures' "images" entries). */
export interface RcnnImageSpec {
  /** Seeds the background phase (rcnn.py names image k "image<k>"). */
  name: string;
  /** PyTorch shape [3, height, width]. */
  shape: readonly [number, number, number];
  /** [x1, y1, x2, y2, r, g, b] with exclusive x2, y2, painted in order. */
  rects: readonly (readonly number[])[];
}

/** The image's HWC float32 values. */
export function rcnnImageValues(spec: RcnnImageSpec): Float32Array {
  const [channels, height, width] = spec.shape;
  for (const [name, v] of [['channels', channels], ['height', height], ['width', width]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`rcnnImage: ${name} of ${spec.name} must be a positive integer, got ${v}`);
  }
  const phase = (fnv1a32(spec.name) / 2 ** 32) * 2 * Math.PI;
  const chw = new Float64Array(channels * height * width);
  for (let i = 0; i < chw.length; i++) chw[i] = 0.2 + 0.05 * sin(phase + i * GOLDEN);
  spec.rects.forEach((rect, k) => {
    if (rect.length !== 4 + channels) throw new Error(`rcnnImage: rects[${k}] of ${spec.name} must be [x1, y1, x2, y2, ${channels} colours], got ${rect.length} numbers`);
    const [x1, y1, x2, y2] = rect;
    for (let c = 0; c < channels; c++) {
      for (let y = Math.max(y1, 0); y < Math.min(y2, height); y++) {
        chw.fill(rect[4 + c], (c * height + y) * width + Math.max(x1, 0), (c * height + y) * width + Math.min(x2, width));
      }
    }
  });
  const hwc = new Float32Array(chw.length);
  for (let c = 0; c < channels; c++) {
    for (let p = 0; p < height * width; p++) hwc[p * channels + c] = chw[c * height * width + p];
  }
  return hwc;
}

/**
 * The image as an [H, W, C] float32 tensor.
 * @example rcnnImage({ name: 'image0', shape: [3, 100, 140], rects: [[10, 12, 60, 70, 0.9, 0.2, 0.1]] })
 */
export function rcnnImage(spec: RcnnImageSpec): tf.Tensor3D {
  return tf.tensor3d(rcnnImageValues(spec), [spec.shape[1], spec.shape[2], spec.shape[0]], 'float32');
}
