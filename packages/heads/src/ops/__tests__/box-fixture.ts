/**
 * Loader and comparisons for fixtures/box-ops.json (written by tools/reference/box_ops.py from
 * torchvision 0.14). The op tests run these checks on the committed fixture; the slow test runs
 * them on one regenerated with another seed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SeededRng } from '../seeded-rng.js';

export type JsonFloat = number | 'nan' | 'inf' | '-inf';

export interface BoxOpsFixture {
  seed: number;
  boxOps: {
    imageSize: [number, number];
    boxes1: JsonFloat[];
    boxes2: JsonFloat[];
    area1: JsonFloat[];
    iou: JsonFloat[];
    clip1: JsonFloat[];
    clip1Rank3: JsonFloat[];
    removeSmall: { minSize: number; keep: number[] }[];
  };
  boxCoder: {
    weights: [number, number, number, number];
    bboxXformClip: number | null;
    references: JsonFloat[];
    proposals: JsonFloat[];
    encodeSingle: JsonFloat[];
    split: number;
    encode: JsonFloat[][];
    relCodes: JsonFloat[];
    numClasses: number;
    decodeSingle: JsonFloat[];
    decode: JsonFloat[];
  }[];
  nms: { name: string; boxes: JsonFloat[]; scores: JsonFloat[]; runs: { iouThreshold: number; keep: number[] }[] }[];
  batchedNms: BatchedNmsCase[];
  syntheticBatchedNms: SyntheticBatchedNmsCase[];
  sortProbes: { seed: number; n: number; levels: number; nanRate: number; order: number[] }[];
  matcher: { name: string; numGt: number; numPred: number; matrix: JsonFloat[]; highThreshold: number; lowThreshold: number; allowLowQualityMatches: boolean; matches: number[] }[];
  sampler: {
    labels: number[][];
    cases: { batchSizePerImage: number; positiveFraction: number; randperms: number[][]; positive: number[][]; negative: number[][] }[];
  };
}

export interface BatchPaths {
  publicPath: 'vanilla' | 'coordinateTrick';
  keepCoordinateTrick: number[];
  keepVanilla?: number[];
}

export interface BatchedNmsCase extends BatchPaths {
  name: string;
  boxes: JsonFloat[];
  scores: JsonFloat[];
  classes: number[];
  iouThreshold: number;
}

export interface SyntheticBatchedNmsCase extends BatchPaths {
  seed: number;
  n: number;
  numClasses: number;
  scoreLevels: number;
  iouThreshold: number;
  boxesChecksum: number;
  scoresChecksum: number;
}

export const FIXTURE_PATH = join(__dirname, '..', '..', '..', 'fixtures', 'box-ops.json');

export function loadBoxOpsFixture(path = FIXTURE_PATH): BoxOpsFixture {
  return JSON.parse(readFileSync(path, 'utf8')) as BoxOpsFixture;
}

export function decodeFloat(v: JsonFloat): number {
  return v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v;
}

export function f32(values: JsonFloat[]): Float32Array {
  return Float32Array.from(values, decodeFloat);
}

export function boxesTensor(values: JsonFloat[]): tf.Tensor2D {
  return tf.tensor2d(f32(values), [values.length / 4, 4], 'float32');
}

/**
 * Elementwise comparison at 1e-5 relative; with `rowWidth`, relative to the largest magnitude in
 * each row of that many values (a decoded box's coordinates subtract large centres and
 * half-sizes, so an ulp of exp in one of them is relative to the box, not to the difference).
 * NaN must meet NaN and infinities must be equal.
 */
export function expectAllClose(got: ArrayLike<number>, want: JsonFloat[], what: string, rowWidth = 0): void {
  expect(got.length).toBe(want.length);
  const bad: string[] = [];
  for (let i = 0; i < want.length; i++) {
    const w = decodeFloat(want[i]);
    const g = got[i];
    let ok: boolean;
    if (Number.isNaN(w) || !Number.isFinite(w)) ok = Object.is(g, w) || (Number.isNaN(w) && Number.isNaN(g));
    else {
      let scale = Math.abs(w);
      if (rowWidth > 0) {
        const r0 = i - (i % rowWidth);
        for (let k = r0; k < r0 + rowWidth; k++) scale = Math.max(scale, Math.abs(decodeFloat(want[k])));
      }
      ok = Math.abs(g - w) <= 1e-5 * scale;
    }
    if (!ok && bad.length < 5) bad.push(`[${i}] got ${g}, want ${w}`);
  }
  expect(`${what}: ${bad.join('; ')}`).toBe(`${what}: `);
}

/** Same values as sort_probe_values in tools/reference/box_ops.py. */
export function sortProbeValues(seed: number, n: number, levels: number, nanRate: number): Float32Array {
  const rng = new SeededRng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = Math.floor(rng.next() * levels) / levels;
    out[i] = rng.next() < nanRate ? NaN : v;
  }
  return out;
}

/** Sum in float64, in order, as torch's `t.double().sum()` on a CPU tensor of this size gives it to well within 1e-9. */
export function checksum(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s;
}
