/**
 * torchvision's paste_masks_in_image (models/detection/roi_heads.py, 0.14): each M x M mask
 * probability map is zero-padded by `padding`, its box expanded about its centre by
 * (M + 2·padding)/M (expand_boxes, float32; the python scale is cast to float32 by torch's
 * scalar multiply), the box cast to int64 (truncation toward 0), the padded mask resized
 * bilinearly (alignCorners false) to w = max(int(x2 − x1 + 1), 1) by h (the legacy +1), and
 * rows max(y1, 0)..min(y2 + 1, H), columns likewise, copied into a zero image.
 *
 * Runs on host typed arrays over the clipped box region only: a full-image resize per mask
 * would touch N·H·W values, the region only the pixels that get a value. Taps follow torch
 * (resize-taps.ts); the blend is summed in float64 and rounded once, within an ulp of torch's
 * float32 kernel. Boxes entirely outside the image, where torchvision raises a shape error for
 * some positions, paste nothing here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { linearTaps } from './resize-taps.js';

const OP = 'pasteMasksInImage';

function checkInt(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new Error(`${OP}: ${name} must be an integer >= ${min}, got ${v}`);
}

/**
 * Host core: masks [n * m * m], boxes [n * 4] (x1, y1, x2, y2) -> [n * imageH * imageW].
 */
export function pasteMasksHost(masks: Float32Array, n: number, m: number, boxes: Float32Array, imageH: number, imageW: number, padding = 1): Float32Array {
  checkInt('imageH', imageH, 1);
  checkInt('imageW', imageW, 1);
  checkInt('padding', padding, 0);
  checkInt('mask size', m, 1);
  if (masks.length !== n * m * m) throw new Error(`${OP}: masks must hold ${n} x ${m} x ${m} values, got ${masks.length}`);
  if (boxes.length !== n * 4) throw new Error(`${OP}: boxes must hold ${n} x 4 values, got ${boxes.length}`);
  const mp = m + 2 * padding;
  const scale = Math.fround(mp / m);
  const plane = imageH * imageW;
  const out = new Float32Array(n * plane);
  const padded = new Float32Array(mp * mp);
  for (let k = 0; k < n; k++) {
    const [bx1, by1, bx2, by2] = expandedIntBox(boxes, k, scale);
    const w = Math.max(bx2 - bx1 + 1, 1);
    const h = Math.max(by2 - by1 + 1, 1);
    const x0 = Math.max(bx1, 0);
    const x1 = Math.min(bx2 + 1, imageW);
    const y0 = Math.max(by1, 0);
    const y1 = Math.min(by2 + 1, imageH);
    if (x1 <= x0 || y1 <= y0) continue;
    padded.fill(0);
    for (let r = 0; r < m; r++) padded.set(masks.subarray((k * m + r) * m, (k * m + r + 1) * m), (r + padding) * mp + padding);
    const cols = linearTaps(mp, w, false, undefined, x0 - bx1, x1 - bx1);
    const rows = linearTaps(mp, h, false, undefined, y0 - by1, y1 - by1);
    const base = k * plane;
    for (let r = 0; r < rows.i0.length; r++) {
      const top = rows.i0[r] * mp;
      const bottom = rows.i1[r] * mp;
      const wt = rows.w0[r];
      const wb = rows.w1[r];
      const dst = base + (y0 + r) * imageW + x0;
      for (let c = 0; c < cols.i0.length; c++) {
        const l = cols.i0[c];
        const rr = cols.i1[c];
        const wl = cols.w0[c];
        const wr = cols.w1[c];
        out[dst + c] = (padded[top + l] * wl + padded[top + rr] * wr) * wt + (padded[bottom + l] * wl + padded[bottom + rr] * wr) * wb;
      }
    }
  }
  return out;
}

/** expand_boxes in float32, then .to(int64). */
function expandedIntBox(boxes: Float32Array, k: number, scale: number): [number, number, number, number] {
  const x1 = boxes[4 * k];
  const y1 = boxes[4 * k + 1];
  const x2 = boxes[4 * k + 2];
  const y2 = boxes[4 * k + 3];
  if (![x1, y1, x2, y2].every(Number.isFinite)) throw new Error(`${OP}: boxes must be finite, got [${x1}, ${y1}, ${x2}, ${y2}] at row ${k}`);
  const f = Math.fround;
  const wHalf = f(f(f(x2 - x1) * 0.5) * scale);
  const hHalf = f(f(f(y2 - y1) * 0.5) * scale);
  const xc = f(f(x2 + x1) * 0.5);
  const yc = f(f(y2 + y1) * 0.5);
  return [Math.trunc(f(xc - wHalf)), Math.trunc(f(yc - hHalf)), Math.trunc(f(xc + wHalf)), Math.trunc(f(yc + hHalf))];
}

/**
 * Pastes N mask probability maps [N, M, M] into an imageH x imageW image per box [N, 4]
 * (image coordinates); returns float32 [N, imageH, imageW]. Threshold (> 0.5) is the caller's.
 */
export function pasteMasksInImage(masks: tf.Tensor3D, boxes: tf.Tensor2D, imageH: number, imageW: number, padding = 1): tf.Tensor3D {
  if (!(masks instanceof tf.Tensor) || masks.rank !== 3) throw new Error(`${OP}: masks must be [N, M, M], got shape ${masks instanceof tf.Tensor ? JSON.stringify(masks.shape) : typeof masks}`);
  if (masks.shape[1] !== masks.shape[2]) throw new Error(`${OP}: masks must be square [N, M, M], got shape ${JSON.stringify(masks.shape)}`);
  if (!(boxes instanceof tf.Tensor) || boxes.rank !== 2 || boxes.shape[1] !== 4) throw new Error(`${OP}: boxes must be [N, 4], got shape ${boxes instanceof tf.Tensor ? JSON.stringify(boxes.shape) : typeof boxes}`);
  const n = masks.shape[0];
  if (boxes.shape[0] !== n) throw new Error(`${OP}: masks and boxes must have the same count, got ${n} masks and ${boxes.shape[0]} boxes`);
  checkInt('imageH', imageH, 1);
  checkInt('imageW', imageW, 1);
  checkInt('padding', padding, 0);
  const maskData = masks.dtype === 'float32' ? (masks.dataSync() as Float32Array) : Float32Array.from(masks.dataSync());
  const boxData = boxes.dtype === 'float32' ? (boxes.dataSync() as Float32Array) : Float32Array.from(boxes.dataSync());
  const pasted = pasteMasksHost(maskData, n, masks.shape[1], boxData, imageH, imageW, padding);
  return tf.tensor3d(pasted, [n, imageH, imageW], 'float32');
}
