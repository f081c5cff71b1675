import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Reading packages/heads/fixtures/roi-align.json (tools/reference/roi_align.py, torchvision
 * 0.14): tensors are base64 little-endian float32 in tfjs layout. For the tests only.
 */
export interface RoiAlignFixtureCase {
  name: string;
  featuresShape: [number, number, number, number];
  features: string;
  rois: number[];
  outputSize: [number, number];
  spatialScale: number;
  samplingRatio: number;
  aligned: boolean;
  outputShape: number[];
  output: string;
  dy: string;
  grad: string;
}

export interface MultiScaleFixtureCase {
  name: string;
  mapper: 'torchvision' | 'detectron2';
  featureNames: string[];
  features: Record<string, { shape: [number, number, number, number]; data: string }>;
  boxes: number[][];
  imageShapes: [number, number][];
  outputSize: [number, number];
  samplingRatio: number;
  aligned: boolean;
  scales: number[];
  levels: number[];
  outputShape: number[];
  output: string;
  dy: string;
  grads: Record<string, string>;
}

export interface RoiAlignFixture {
  torch: string;
  torchvision: string;
  roiAlign: RoiAlignFixtureCase[];
  multiScale: MultiScaleFixtureCase[];
  levelMapper: { boxes: number[]; torchvision: number[]; detectron2: number[]; mmdet: number[] };
}

export function readRoiAlignFixture(file: string): RoiAlignFixture {
  return JSON.parse(readFileSync(file, 'utf8')) as RoiAlignFixture;
}

export function decodeFloat32(b64: string): Float32Array {
  const bytes = Buffer.from(b64, 'base64');
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

export function caseFeatures(c: RoiAlignFixtureCase): tf.Tensor4D {
  return tf.tensor4d(decodeFloat32(c.features), c.featuresShape);
}

export function caseRois(c: RoiAlignFixtureCase): tf.Tensor2D {
  return tf.tensor2d(c.rois, [c.rois.length / 5, 5]);
}

/** max |a - b| over max |b|: the error relative to the array's scale (float32 sums cancel). */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}
