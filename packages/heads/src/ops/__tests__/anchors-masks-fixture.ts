/**
 * The fixture of tools/reference/anchors_masks.py and the checks that compare the ops with it.
 * The op tests run the checks on the committed fixture; anchors-masks.slow.test.ts on a freshly
 * regenerated one.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnchorGenerator, type Size2 } from '../anchor-generator.js';
import { interpolate, type InterpolateOptions } from '../interpolate.js';
import { rcnnResizedSize } from '../rcnn-resized-size.js';
import { pasteMasksInImage } from '../paste-masks.js';

export const FIXTURE_PATH = join(__dirname, '..', '..', '..', 'fixtures', 'anchors-masks.json');

export interface Sampled {
  count: number;
  sum: number;
  absSum: number;
  index: number[];
  value: number[];
  lastRows?: number[];
}

export interface AnchorCase {
  name: string;
  sizes: number[][];
  aspectRatios: number[][];
  imageSize: [number, number];
  featureSizes: [number, number][];
  strides: [number, number][];
  numAnchorsPerLocation: number[];
  numAnchorsPerLevel: number[];
  cellAnchors: number[][];
  total: number;
  anchors?: number[];
  anchorsSampled?: Sampled;
}

export interface InterpolateCase {
  name: string;
  inputShape: [number, number, number, number];
  input: { mul: number; mod: number };
  options: InterpolateOptions;
  outputShape: number[];
  /** Too slow for the default suite on tfjs-cpu; the slow test runs it. */
  slowOnly?: boolean;
  output?: number[];
  outputSampled?: Sampled;
}

export interface ResizeGrid {
  minSize: number;
  maxSize: number;
  h0: number;
  hStep: number;
  hCount: number;
  w0: number;
  wStep: number;
  wCount: number;
  fnv1a: number;
  naiveF32DivisionOff: number;
  listed: [number, number, number, number][];
}

export interface PasteCase {
  name: string;
  boxes: number[][];
  maskSize: number;
  padding: number;
  imageSize: [number, number];
  masks: { mul: number; mod: number };
  perMask: { sum: number; nonzero: number; rows?: [number, number]; cols?: [number, number]; index?: number[]; value?: number[] }[];
  output?: number[];
}

export interface AnchorsMasksFixture {
  reference: string;
  anchors: AnchorCase[];
  interpolate: InterpolateCase[];
  resizeGrids: ResizeGrid[];
  paste: PasteCase[];
}

export function loadFixture(path = FIXTURE_PATH): AnchorsMasksFixture {
  return JSON.parse(readFileSync(path, 'utf8')) as AnchorsMasksFixture;
}

/** float32(((i * mul) % mod) / mod), the generator's input formula. */
export function ramp(n: number, mul: number, mod: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = ((i * mul) % mod) / mod;
  return out;
}

/** FNV-1a over the little-endian bytes of 32-bit integers. */
export function fnv1a(ints: ArrayLike<number>): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < ints.length; i++) {
    for (let k = 0; k < 4; k++) {
      h ^= (ints[i] >>> (8 * k)) & 0xff;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return h >>> 0;
}

export const RTOL = 1e-5;
const ATOL = 1e-7;

/** Largest |a - e| / (|e| + ATOL/RTOL) over the pairs, so <= RTOL means within tolerance. */
export function maxRelError(actual: ArrayLike<number>, expected: ArrayLike<number>, index?: ArrayLike<number>): number {
  let worst = 0;
  const n = index ? index.length : expected.length;
  for (let k = 0; k < n; k++) {
    const a = actual[index ? index[k] : k];
    const e = expected[k];
    worst = Math.max(worst, Math.abs(a - e) / (Math.abs(e) + ATOL / RTOL));
  }
  return worst;
}

function sumOf(values: ArrayLike<number>): { sum: number; absSum: number } {
  let sum = 0;
  let absSum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    absSum += Math.abs(values[i]);
  }
  return { sum, absSum };
}

export function checkAnchorCase(c: AnchorCase): void {
  const gen = new AnchorGenerator({ sizes: c.sizes, aspectRatios: c.aspectRatios });
  expect(gen.cellAnchors.map((a) => Array.from(a))).toEqual(c.cellAnchors);
  expect(gen.numAnchorsPerLocation()).toEqual(c.numAnchorsPerLocation);
  expect(gen.numAnchorsPerLevel(c.featureSizes)).toEqual(c.numAnchorsPerLevel);
  expect(gen.strides(c.imageSize, c.featureSizes)).toEqual(c.strides);
  const host = gen.anchorsHost(c.imageSize, c.featureSizes as Size2[]);
  expect(host.length / 4).toBe(c.total);
  if (c.anchors) {
    expect(Array.from(host)).toEqual(c.anchors);
  }
  if (c.anchorsSampled) {
    const s = c.anchorsSampled;
    expect(s.index.map((i) => host[i])).toEqual(s.value);
    expect(Array.from(host.subarray(host.length - 12))).toEqual(s.lastRows);
    expect(sumOf(host).sum).toBe(s.sum);
  }
}

export function interpolateCase(c: InterpolateCase): Float32Array {
  const [n, h, w, ch] = c.inputShape;
  const x = tf.tensor4d(ramp(n * h * w * ch, c.input.mul, c.input.mod), c.inputShape);
  const y = interpolate(x, c.options);
  expect(y.shape).toEqual(c.outputShape);
  const values = y.dataSync() as Float32Array;
  tf.dispose([x, y]);
  return values;
}

export function checkInterpolateCase(c: InterpolateCase): number {
  const values = interpolateCase(c);
  if (c.output) {
    const err = maxRelError(values, c.output);
    expect(err).toBeLessThanOrEqual(RTOL);
    return err;
  }
  const s = c.outputSampled as Sampled;
  expect(values.length).toBe(s.count);
  const err = maxRelError(values, s.value, s.index);
  expect(err).toBeLessThanOrEqual(RTOL);
  const sums = sumOf(values);
  expect(Math.abs(sums.sum - s.sum)).toBeLessThanOrEqual(RTOL * s.absSum);
  return err;
}

/** Every output size of a grid, as [h0, w0, h1, w1, ...] in grid order. */
export function resizeGridSizes(g: ResizeGrid): Int32Array {
  const out = new Int32Array(g.hCount * g.wCount * 2);
  let k = 0;
  for (let i = 0; i < g.hCount; i++) {
    for (let j = 0; j < g.wCount; j++) {
      const r = rcnnResizedSize(g.h0 + i * g.hStep, g.w0 + j * g.wStep, g.minSize, g.maxSize);
      out[k++] = r.height;
      out[k++] = r.width;
    }
  }
  return out;
}

export function checkResizeGrid(g: ResizeGrid): void {
  const sizes = resizeGridSizes(g);
  for (const [h, w, oh, ow] of g.listed) {
    const r = rcnnResizedSize(h, w, g.minSize, g.maxSize);
    expect([h, w, r.height, r.width]).toEqual([h, w, oh, ow]);
  }
  expect(fnv1a(sizes)).toBe(g.fnv1a);
}

export function pasteCase(c: PasteCase): Float32Array {
  const n = c.boxes.length;
  const m = c.maskSize;
  const masks = tf.tensor3d(ramp(n * m * m, c.masks.mul, c.masks.mod), [n, m, m]);
  const boxes = tf.tensor2d(c.boxes.flat(), [n, 4], 'float32');
  const out = pasteMasksInImage(masks, boxes, c.imageSize[0], c.imageSize[1], c.padding);
  expect(out.shape).toEqual([n, c.imageSize[0], c.imageSize[1]]);
  const values = out.dataSync() as Float32Array;
  tf.dispose([masks, boxes, out]);
  return values;
}

export function checkPasteCase(c: PasteCase): number {
  const values = pasteCase(c);
  const [ih, iw] = c.imageSize;
  const plane = ih * iw;
  let worst = 0;
  c.perMask.forEach((e, k) => {
    const img = values.subarray(k * plane, (k + 1) * plane);
    let nonzero = 0;
    let rMin = ih;
    let rMax = -1;
    let cMin = iw;
    let cMax = -1;
    for (let i = 0; i < plane; i++) {
      if (img[i] === 0) continue;
      nonzero++;
      const r = Math.floor(i / iw);
      const col = i % iw;
      rMin = Math.min(rMin, r);
      rMax = Math.max(rMax, r);
      cMin = Math.min(cMin, col);
      cMax = Math.max(cMax, col);
    }
    expect({ mask: k, nonzero }).toEqual({ mask: k, nonzero: e.nonzero });
    if (e.rows && e.cols && e.index && e.value) {
      expect({ mask: k, rows: [rMin, rMax], cols: [cMin, cMax] }).toEqual({ mask: k, rows: e.rows, cols: e.cols });
      worst = Math.max(worst, maxRelError(img, e.value, e.index));
    }
    const s = sumOf(img).sum;
    expect(Math.abs(s - e.sum)).toBeLessThanOrEqual(RTOL * Math.max(e.sum, 1e-3));
  });
  if (c.output) worst = Math.max(worst, maxRelError(values, c.output));
  expect(worst).toBeLessThanOrEqual(RTOL);
  return worst;
}
