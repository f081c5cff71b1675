/**
 * Deterministic detector-like candidates for batched NMS: boxes jittered around a few objects
 * (so they overlap the way a detector's do), some crossing the image border, 2% zero-width,
 * scores quantised to `scoreLevels` steps (so scores tie), classes mostly the object's.
 * tools/reference/box_ops.py (`synthetic_detections`) computes the same values in the same
 * double-precision order from the same mulberry32 stream, so large cases need not be stored.
 */
import { SeededRng } from '../ops/seeded-rng.js';

export interface SyntheticDetections {
  /** [n, 4] x1, y1, x2, y2 row-major. */
  boxes: Float32Array;
  scores: Float32Array;
  classes: Int32Array;
}

export interface SyntheticDetectionsOptions {
  width?: number;
  height?: number;
  scoreLevels?: number;
}

export function syntheticDetections(seed: number, n: number, numClasses: number, options: SyntheticDetectionsOptions = {}): SyntheticDetections {
  const width = options.width ?? 1088;
  const height = options.height ?? 800;
  const levels = options.scoreLevels ?? 1000;
  const rng = new SeededRng(seed);
  const objects = Math.max(1, Math.floor(n / 8));
  const cx = new Float64Array(objects);
  const cy = new Float64Array(objects);
  const w = new Float64Array(objects);
  const h = new Float64Array(objects);
  const cls = new Int32Array(objects);
  for (let o = 0; o < objects; o++) {
    cx[o] = rng.next() * width;
    cy[o] = rng.next() * height;
    w[o] = 8 + rng.next() * (width / 3);
    h[o] = 8 + rng.next() * (height / 3);
    cls[o] = rng.nextInt(numClasses);
  }
  const boxes = new Float32Array(4 * n);
  const scores = new Float32Array(n);
  const classes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const o = rng.nextInt(objects);
    const jx = (rng.next() - 0.5) * 0.3 * w[o];
    const jy = (rng.next() - 0.5) * 0.3 * h[o];
    const sw = w[o] * (0.8 + 0.4 * rng.next());
    const sh = h[o] * (0.8 + 0.4 * rng.next());
    const x1 = cx[o] + jx - sw / 2;
    const y1 = cy[o] + jy - sh / 2;
    const degenerate = rng.next() < 0.02;
    boxes[4 * i] = x1;
    boxes[4 * i + 1] = y1;
    boxes[4 * i + 2] = degenerate ? x1 : x1 + sw;
    boxes[4 * i + 3] = y1 + sh;
    classes[i] = rng.next() < 0.8 ? cls[o] : rng.nextInt(numClasses);
    scores[i] = Math.floor(rng.next() * levels) / levels;
  }
  return { boxes, scores, classes };
}
