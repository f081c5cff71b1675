/**
 * Test cases of the exact resize kernels, shared by the cpu, wasm and timing tests: inputs from
 * a fixed formula (no RNG), every path of the kernels — both alignCorners, a scale factor that
 * reaches the kernel, unchanged axes, nearest's floor and doubling shortcuts, batch and channels.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ResizeExactAttrs, Shape4 } from './resize-exact-attrs.js';

export interface ResizeCase {
  name: string;
  inputShape: Shape4;
  attrs: ResizeExactAttrs;
}

const bilinear = (outHeight: number, outWidth: number, alignCorners = false, scaleH = 0, scaleW = 0): ResizeExactAttrs => ({ outHeight, outWidth, mode: 'bilinear', alignCorners, scaleH, scaleW });
const nearest = (outHeight: number, outWidth: number, scaleH = 0, scaleW = 0): ResizeExactAttrs => ({ outHeight, outWidth, mode: 'nearest', alignCorners: false, scaleH, scaleW });

export const RESIZE_CASES: ResizeCase[] = [
  { name: 'bilinear up, batch 2, 3 channels', inputShape: [2, 5, 7, 3], attrs: bilinear(9, 12) },
  { name: 'bilinear down', inputShape: [1, 9, 11, 2], attrs: bilinear(4, 5) },
  { name: 'bilinear alignCorners', inputShape: [1, 6, 5, 2], attrs: bilinear(13, 11, true) },
  { name: 'bilinear alignCorners to 1', inputShape: [1, 5, 6, 1], attrs: bilinear(1, 4, true) },
  { name: 'bilinear kernel scale', inputShape: [1, 9, 10, 3], attrs: bilinear(15, 6, false, 1.7, 0.65) },
  { name: 'bilinear height unchanged', inputShape: [1, 4, 6, 2], attrs: bilinear(4, 9) },
  { name: 'bilinear width unchanged', inputShape: [2, 4, 6, 1], attrs: bilinear(7, 6) },
  { name: 'bilinear identity', inputShape: [1, 3, 4, 2], attrs: bilinear(3, 4) },
  { name: 'nearest odd', inputShape: [1, 7, 9, 2], attrs: nearest(17, 4) },
  { name: 'nearest double, batch 2', inputShape: [2, 5, 6, 3], attrs: nearest(10, 12) },
  { name: 'nearest kernel scale', inputShape: [1, 10, 30, 2], attrs: nearest(7, 10, 0.7, 1 / 3) },
  { name: 'nearest identity', inputShape: [1, 3, 4, 1], attrs: nearest(3, 4) },
];

/** Values of a fixed irrational-step formula in [-1, 1]: sharp, no repeats, no RNG. */
export function formulaValues(n: number, phase = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sin(phase + i * 2.399963229728653);
  return out;
}

export function caseInput(c: ResizeCase, phase = 0): tf.Tensor4D {
  return tf.tensor4d(formulaValues(c.inputShape.reduce((a, b) => a * b, 1), phase), c.inputShape);
}

export function outputShapeOf(c: ResizeCase): Shape4 {
  return [c.inputShape[0], c.attrs.outHeight, c.attrs.outWidth, c.inputShape[3]];
}
