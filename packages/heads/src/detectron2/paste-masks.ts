/**
 * detectron2's paste_masks_in_image on CPU (layers/mask_ops.py _do_paste_mask, @02b5c4e), without
 * the threshold: each M x M mask is sampled by F.grid_sample (bilinear, zero padding,
 * align_corners false) at the centres of the image pixels, x_img + 0.5 mapped to
 * (x + 0.5 − x1) / (x2 − x1) · 2 − 1 over its box, only inside the box's pixel bounds widened by
 * one (floor(x1) − 1 .. ceil(x2) + 1, clamped: skip_empty, one mask at a time on CPU); the rest
 * of the image is 0. detectron2 then thresholds at 0.5 (detector_postprocess); the probabilities
 * are returned here, as torchvision's detectors return theirs.
 */
import * as tf from '@tensorflow/tfjs-core';

const { fround, floor, ceil, max, min } = Math;

/** grid_sample's CPU unnormalize (align_corners false): (g + 1) · size/2 − 0.5, in float32. */
function unnormalize(g: number, size: number): number {
  return fround(fround(fround(g + 1) * fround(size / 2)) - 0.5);
}

/** masks row-major [n, m, m], boxes [n, 4] in the image's pixels -> [n, imageH, imageW]. */
export function pasteMasksDetectron2Host(masks: Float32Array, n: number, m: number, boxes: Float32Array, imageH: number, imageW: number): Float32Array {
  if (masks.length !== n * m * m) throw new Error(`pasteMasksDetectron2: masks must hold ${n} x ${m} x ${m} values, got ${masks.length}`);
  if (boxes.length !== 4 * n) throw new Error(`pasteMasksDetectron2: boxes must hold ${n} x 4 values, got ${boxes.length}`);
  const out = new Float32Array(n * imageH * imageW);
  const gx = new Float32Array(imageW);
  const gy = new Float32Array(imageH);
  for (let i = 0; i < n; i++) {
    const [x1, y1, x2, y2] = boxes.subarray(4 * i, 4 * i + 4);
    const xs = max(floor(x1) - 1, 0);
    const ys = max(floor(y1) - 1, 0);
    const xe = min(ceil(x2) + 1, imageW);
    const ye = min(ceil(y2) + 1, imageH);
    const bw = fround(x2 - x1);
    const bh = fround(y2 - y1);
    for (let x = xs; x < xe; x++) gx[x] = unnormalize(fround(fround(fround(fround(fround(x + 0.5) - x1) / bw) * 2) - 1), m);
    for (let y = ys; y < ye; y++) gy[y] = unnormalize(fround(fround(fround(fround(fround(y + 0.5) - y1) / bh) * 2) - 1), m);
    const mask = masks.subarray(i * m * m, (i + 1) * m * m);
    const at = (r: number, c: number) => (r >= 0 && r < m && c >= 0 && c < m ? mask[r * m + c] : 0);
    const base = i * imageH * imageW;
    for (let y = ys; y < ye; y++) {
      const sy = gy[y];
      const r0 = floor(sy);
      const dn = fround(sy - r0);
      const ds = fround(1 - dn);
      for (let x = xs; x < xe; x++) {
        const sx = gx[x];
        const c0 = floor(sx);
        const dw = fround(sx - c0);
        const de = fround(1 - dw);
        const v = at(r0, c0) * fround(ds * de) + at(r0, c0 + 1) * fround(ds * dw) + at(r0 + 1, c0) * fround(dn * de) + at(r0 + 1, c0 + 1) * fround(dn * dw);
        out[base + y * imageW + x] = v;
      }
    }
  }
  return out;
}

/** masks [N, M, M] probabilities, boxes [N, 4] in the image's pixels -> [N, imageH, imageW]. */
export function pasteMasksDetectron2(masks: tf.Tensor3D, boxes: tf.Tensor2D, imageH: number, imageW: number): tf.Tensor3D {
  const [n, m, m2] = masks.shape;
  if (m !== m2) throw new Error(`pasteMasksDetectron2: masks must be square [N, M, M], got [${masks.shape.join(', ')}]`);
  if (boxes.rank !== 2 || boxes.shape[0] !== n || boxes.shape[1] !== 4) throw new Error(`pasteMasksDetectron2: boxes must be [${n}, 4], got [${boxes.shape.join(', ')}]`);
  if (!(Number.isInteger(imageH) && Number.isInteger(imageW) && imageH > 0 && imageW > 0)) throw new Error(`pasteMasksDetectron2: image size must be positive integers, got ${imageH}x${imageW}`);
  const data = pasteMasksDetectron2Host(masks.dataSync() as Float32Array, n, m, boxes.dataSync() as Float32Array, imageH, imageW);
  return tf.tensor3d(data, [n, imageH, imageW], 'float32');
}
