/**
 * The fixture of tools/reference/rcnn_transform.py (torchvision's GeneralizedRCNNTransform) and
 * the checks that run our transform on its cases; rcnn-transform.test.ts runs them on the
 * committed fixture, rcnn-transform.slow.test.ts on a fresh one.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DetectionTargets, Detections } from '../structures/instances.js';
import { rcnnImage, GOLDEN, type RcnnImageSpec } from '../testing/rcnn-images.js';
import { GeneralizedRCNNTransform, type Size2 } from './rcnn-transform.js';
import type { RcnnTransformOptions } from './rcnn-transform-options.js';

export const RCNN_TRANSFORM_FIXTURE = join(__dirname, '..', '..', 'fixtures', 'rcnn-transform.json');

/** A tensor as the generators summarise it (NHWC for batches). */
export interface Summary {
  shape: number[];
  sum: number;
  sumsq: number;
  absmax: number;
  positions: number[];
  values: number[];
}

interface FixtureOptions {
  minSize?: number | number[];
  maxSize?: number;
  sizeDivisible?: number;
  fixedSize?: [number, number];
}

export interface EvalCase {
  name: string;
  options: FixtureOptions;
  images: RcnnImageSpec[];
  batch: Summary;
  imageSizes: Size2[];
  /** Left to the slow test (too slow for the default suite on tfjs-cpu). */
  slowOnly?: boolean;
}

export interface TrainCase extends EvalCase {
  minSizeDraws: number[];
  targetsIn: { boxes: number[][] }[];
  targets: { boxes: number[][]; masks: Summary }[];
}

export interface PostCase {
  name: string;
  imageSizes: Size2[];
  originalSizes: Size2[];
  detections: { boxes: number[][]; maskSeed: number }[];
  results: { boxes: number[][]; masks: Summary }[];
}

export interface RcnnTransformFixture {
  reference: string;
  imageMean: number[];
  imageStd: number[];
  eval: EvalCase[];
  train: TrainCase[];
  post: PostCase[];
}

export function loadRcnnTransformFixture(path = RCNN_TRANSFORM_FIXTURE): RcnnTransformFixture {
  return JSON.parse(readFileSync(path, 'utf8')) as RcnnTransformFixture;
}

const RTOL = 1e-5;
const ATOL = 1e-6;
// Closure constants: a global Math lookup in a hot loop is slow inside jest's vm context.
const { abs, max, sin } = Math;

/**
 * Compares `values` of `shape` with a summary: every sampled value within RTOL·|e| + ATOL,
 * sum within RTOL·Σ|x| (+ ATOL per value), sum of squares and max |x| within RTOL relative.
 * Returns the worst sampled relative error.
 */
export function checkSummary(what: string, values: ArrayLike<number>, shape: readonly number[], ref: Summary): number {
  expect({ what, shape: [...shape] }).toEqual({ what, shape: ref.shape });
  let worst = 0;
  ref.positions.forEach((p, k) => {
    const e = ref.values[k];
    const err = Math.abs(values[p] - e);
    if (err > RTOL * Math.abs(e) + ATOL) throw new Error(`${what}: value at ${p} is ${values[p]}, torchvision ${e}`);
    worst = Math.max(worst, err / (Math.abs(e) + ATOL / RTOL));
  });
  let sum = 0;
  let absSum = 0;
  let sumsq = 0;
  let absmax = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    sum += v;
    absSum += abs(v);
    sumsq += v * v;
    absmax = max(absmax, abs(v));
  }
  expect({ what, sumOff: Math.abs(sum - ref.sum) <= RTOL * absSum + ATOL * values.length }).toEqual({ what, sumOff: true });
  expect({ what, sumsqOff: Math.abs(sumsq - ref.sumsq) <= RTOL * ref.sumsq + ATOL }).toEqual({ what, sumsqOff: true });
  expect({ what, absmaxOff: Math.abs(absmax - ref.absmax) <= RTOL * ref.absmax + ATOL }).toEqual({ what, absmaxOff: true });
  return worst;
}

export function transformFor(options: FixtureOptions, fixture: Pick<RcnnTransformFixture, 'imageMean' | 'imageStd'>, random?: () => number): GeneralizedRCNNTransform {
  const opts: RcnnTransformOptions = { ...options, imageMean: fixture.imageMean, imageStd: fixture.imageStd, ...(random ? { random } : {}) };
  return new GeneralizedRCNNTransform(opts);
}

/** Binary masks of an image's rectangles (x2, y2 exclusive), one per rectangle: int32 [N, H, W]. */
export function rectMasks(spec: RcnnImageSpec): tf.Tensor3D {
  const [, h, w] = spec.shape;
  const data = new Int32Array(spec.rects.length * h * w);
  spec.rects.forEach(([x1, y1, x2, y2], j) => {
    for (let y = y1; y < y2; y++) data.fill(1, (j * h + y) * w + x1, (j * h + y) * w + x2);
  });
  return tf.tensor3d(data, [spec.rects.length, h, w], 'int32');
}

/** Runs an eval case; returns the worst sampled relative error of the batch. */
export function checkEvalCase(c: EvalCase, fixture: RcnnTransformFixture): number {
  const transform = transformFor(c.options, fixture).eval();
  const images = c.images.map(rcnnImage);
  const before = tf.memory().numTensors;
  const out = transform.forward(images);
  expect(out.images.imageSizes).toEqual(c.imageSizes);
  expect(out.originalSizes).toEqual(c.images.map((s) => [s.shape[1], s.shape[2]]));
  const worst = checkSummary(`${c.name}: batch`, out.images.tensor.dataSync(), out.images.tensor.shape, c.batch);
  out.images.tensor.dispose();
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose(images);
  return worst;
}

/** Runs a training case with torch's draws injected; boxes must equal torchvision's exactly. */
export function checkTrainCase(c: TrainCase, fixture: RcnnTransformFixture): number {
  const sizes = typeof c.options.minSize === 'number' ? [c.options.minSize] : (c.options.minSize ?? [800]);
  let k = 0;
  const random = () => (c.minSizeDraws[k++] + 0.5) / sizes.length;
  const transform = transformFor(c.options, fixture, random).train();
  const images = c.images.map(rcnnImage);
  const targets: DetectionTargets[] = c.images.map((spec, i) => ({
    boxes: tf.tensor2d(c.targetsIn[i].boxes, [c.targetsIn[i].boxes.length, 4], 'float32'),
    labels: tf.range(1, spec.rects.length + 1, 1, 'int32') as tf.Tensor1D,
    masks: rectMasks(spec),
  }));
  const before = tf.memory().numTensors;
  const out = transform.forward(images, targets);
  expect(k).toBe(c.images.length);
  expect(out.images.imageSizes).toEqual(c.imageSizes);
  let worst = checkSummary(`${c.name}: batch`, out.images.tensor.dataSync(), out.images.tensor.shape, c.batch);
  const got = out.targets as DetectionTargets[];
  expect(got).toHaveLength(c.targets.length);
  got.forEach((t, i) => {
    expect(t.boxes.arraySync()).toEqual(c.targets[i].boxes);
    expect(Array.from(t.labels.dataSync())).toEqual(Array.from(targets[i].labels.dataSync()));
    const masks = t.masks as tf.Tensor3D;
    worst = Math.max(worst, checkSummary(`${c.name}: masks ${i}`, masks.dataSync(), masks.shape, c.targets[i].masks));
  });
  tf.dispose([out.images.tensor, ...got.flatMap((t) => [t.boxes, t.labels, t.masks as tf.Tensor])]);
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([...images, ...targets.flatMap((t) => [t.boxes, t.labels, t.masks as tf.Tensor])]);
  return worst;
}

/** The generator's 28x28 mask probabilities: f32(0.5 + 0.5 sin(0.3 + (i + seed)·GOLDEN)). */
function maskProbabilities(n: number, seed: number): tf.Tensor3D {
  const data = new Float32Array(n * 28 * 28);
  for (let i = 0; i < data.length; i++) data[i] = 0.5 + 0.5 * sin(0.3 + (i + seed) * GOLDEN);
  return tf.tensor3d(data, [n, 28, 28]);
}

/** Runs a postprocess case; boxes must equal torchvision's exactly, masks within the summary tolerance. */
export function checkPostCase(c: PostCase, fixture: RcnnTransformFixture): number {
  const transform = transformFor({}, fixture).eval();
  const detections: Detections[] = c.detections.map((d, i) => {
    const n = d.boxes.length;
    return {
      boxes: tf.tensor2d(d.boxes, [n, 4], 'float32'),
      scores: tf.linspace(0.9, 0.1, n) as tf.Tensor1D,
      labels: tf.range(1, n + 1, 1, 'int32') as tf.Tensor1D,
      masks: maskProbabilities(n, c.detections[i].maskSeed),
    };
  });
  const before = tf.memory().numTensors;
  const out = transform.postprocess(detections, c.imageSizes, c.originalSizes);
  let worst = 0;
  out.forEach((d, i) => {
    expect(d.boxes.arraySync()).toEqual(c.results[i].boxes);
    const masks = d.masks as tf.Tensor3D;
    worst = Math.max(worst, checkSummary(`${c.name}: masks ${i}`, masks.dataSync(), masks.shape, c.results[i].masks));
  });
  tf.dispose(out.flatMap((d) => [d.boxes, d.scores, d.labels, d.masks as tf.Tensor]));
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose(detections.flatMap((d) => [d.boxes, d.scores, d.labels, d.masks as tf.Tensor]));
  return worst;
}
