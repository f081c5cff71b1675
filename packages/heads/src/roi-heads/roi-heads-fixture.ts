/**
 * Reading and replaying packages/heads/fixtures/roi-heads.json (tools/reference/roi_heads.py,
 * torchvision 0.14 RoIHeads on hash weights): builds the same heads, inputs and targets, and
 * measures how far our outputs are from the reference. For the tests only.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type { RandpermSource } from '../ops/balanced-sampler.js';
import type { DetectionTargets } from '../structures/instances.js';
import { hashInput, relativeError } from '../testing/fixture-compare.js';
import { fillHashWeights } from '../testing/hash-weights.js';
import { TwoMlpHead } from './box-head.js';
import { FastRcnnPredictor } from './box-predictor.js';
import { MaskRcnnHeads, MaskRcnnPredictor } from './mask-head.js';
import { RoIHeads } from './roi-heads.js';
import type { RoIHeadsOptions } from './roi-heads-options.js';

export interface StoredDetections {
  boxes: number[];
  scores: number[];
  labels: number[];
  maskMeans: number[];
  maskSamples: number[];
}

export interface EvalCase {
  name: string;
  proposals: number[];
  scoreThresh: number;
  detectionsPerImg: number;
  nmsNumel: number[];
  detections: StoredDetections[];
}

export interface TrainCase {
  name: string;
  batchSizePerImage: number;
  positiveFraction: number;
  withGroundTruth: boolean[];
  randperm: number[][];
  counts: { sampled: number; positive: number }[];
  losses: { lossClassifier: number; lossBoxReg: number; lossMask: number };
  /** Gradients of the summed losses (empty where the case is compared on losses only): norms, and 1-D parameters whole. */
  grads: Record<string, { l1: number; l2: number; values?: number[] }>;
}

export interface RoIHeadsFixture {
  reference: string;
  channels: number;
  numClasses: number;
  representationSize: number;
  maskLayers: number[];
  maskDimReduced: number;
  keys: string[];
  imageSizes: [number, number][];
  features: Record<string, number[]>;
  proposals: number[][];
  groundTruth: { boxes: number[]; labels: number[]; masksShape: [number, number, number]; masksBits: string }[];
  maskSampleStep: number;
  eval: EvalCase[];
  train: TrainCase[];
}

export function readRoIHeadsFixture(file: string): RoIHeadsFixture {
  return JSON.parse(readFileSync(file, 'utf8')) as RoIHeadsFixture;
}

/** The reference's heads (Mask R-CNN branch included) on hash weights. */
export function fixtureHeads(f: RoIHeadsFixture, options: Partial<RoIHeadsOptions> = {}): RoIHeads {
  const c = f.channels;
  const heads = new RoIHeads({
    boxHead: new TwoMlpHead({ inChannels: c, resolution: 7, representationSize: f.representationSize }),
    boxPredictor: new FastRcnnPredictor({ inFeatures: f.representationSize, numClasses: f.numClasses }),
    mask: {
      head: new MaskRcnnHeads({ inChannels: c, layers: f.maskLayers }),
      predictor: new MaskRcnnPredictor({ inChannels: f.maskLayers[f.maskLayers.length - 1], dimReduced: f.maskDimReduced, numClasses: f.numClasses }),
    },
    ...options,
  });
  fillHashWeights(heads);
  return heads;
}

/** hash_uniform('input.roi_heads.<level>') maps, NHWC. */
export function fixtureFeatures(f: RoIHeadsFixture): Record<string, tf.Tensor4D> {
  return Object.fromEntries(Object.entries(f.features).map(([name, shape]) => [name, hashInput(`roi_heads.${name}`, shape) as tf.Tensor4D]));
}

/** The first counts[i] proposals of image i (all by default). */
export function fixtureProposals(f: RoIHeadsFixture, counts?: number[]): tf.Tensor2D[] {
  return f.proposals.map((values, i) => {
    const n = counts ? counts[i] : values.length / 4;
    return tf.tensor2d(values.slice(0, 4 * n), [n, 4]);
  });
}

/** Image k's ground truth where withGroundTruth[k], else an empty target of the image's size; masks int32. */
export function fixtureTargets(f: RoIHeadsFixture, withGroundTruth: boolean[]): DetectionTargets[] {
  return f.groundTruth.map((gt, k) => {
    const [g, h, w] = gt.masksShape;
    if (!withGroundTruth[k] || g === 0) {
      const [ih, iw] = f.imageSizes[k];
      return { boxes: tf.tensor2d(new Float32Array(0), [0, 4]), labels: tf.tensor1d(new Int32Array(0), 'int32'), masks: tf.tensor3d(new Int32Array(0), [0, ih, iw], 'int32') };
    }
    const bytes = Buffer.from(gt.masksBits, 'base64');
    const bits = new Int32Array(g * h * w);
    for (let i = 0; i < bits.length; i++) bits[i] = (bytes[i >> 3] >> (7 - (i & 7))) & 1;
    return { boxes: tf.tensor2d(gt.boxes, [g, 4]), labels: tf.tensor1d(gt.labels, 'int32'), masks: tf.tensor3d(bits, [g, h, w], 'int32') };
  });
}

/** Replays torch.randperm draws in order, checking each size; `remaining()` tells how many were not used. */
export function replayRandperm(draws: number[][]): { randperm: RandpermSource; remaining: () => number } {
  let next = 0;
  return {
    randperm: (n) => {
      const d = draws[next++];
      if (d === undefined || d.length !== n) throw new Error(`replayRandperm: draw ${next - 1} is randperm(${d?.length ?? 'none'}), asked randperm(${n})`);
      return d;
    },
    remaining: () => draws.length - next,
  };
}

export interface EvalComparison {
  counts: number[];
  refCounts: number[];
  labelsEqual: boolean;
  boxes: number;
  scores: number;
  maskMeans: number;
  maskSamples: number;
}

/** Runs an eval case and returns the largest relative errors (counts and labels must match exactly). */
export function compareEval(f: RoIHeadsFixture, c: EvalCase, features: Record<string, tf.Tensor4D>): EvalComparison {
  const heads = fixtureHeads(f, { scoreThresh: c.scoreThresh, detectionsPerImg: c.detectionsPerImg }).eval();
  const proposals = fixtureProposals(f, c.proposals);
  const { detections } = heads.forward(features, proposals, f.imageSizes);
  const out: EvalComparison = { counts: [], refCounts: [], labelsEqual: true, boxes: 0, scores: 0, maskMeans: 0, maskSamples: 0 };
  detections.forEach((d, i) => {
    const ref = c.detections[i];
    out.counts.push(d.scores.shape[0]);
    out.refCounts.push(ref.scores.length);
    const labels = Array.from(d.labels.dataSync());
    if (labels.length !== ref.labels.length || labels.some((l, k) => l !== ref.labels[k])) {
      out.labelsEqual = false;
      return;
    }
    out.boxes = Math.max(out.boxes, relativeError(d.boxes, ref.boxes));
    out.scores = Math.max(out.scores, relativeError(d.scores, ref.scores));
    const masks = (d.masks as tf.Tensor3D).dataSync();
    const per = 28 * 28;
    const means = Array.from({ length: labels.length }, (_, k) => {
      let s = 0;
      for (let j = 0; j < per; j++) s += masks[k * per + j];
      return s / per;
    });
    const samples = Array.from({ length: Math.ceil(masks.length / f.maskSampleStep) }, (_, k) => masks[k * f.maskSampleStep]);
    out.maskMeans = Math.max(out.maskMeans, relativeError(means, ref.maskMeans));
    out.maskSamples = Math.max(out.maskSamples, relativeError(samples, ref.maskSamples));
  });
  for (const d of detections) tf.dispose([d.boxes, d.scores, d.labels, d.masks as tf.Tensor3D]);
  tf.dispose(proposals);
  heads.dispose();
  return out;
}

export interface TrainComparison {
  losses: Record<'lossClassifier' | 'lossBoxReg' | 'lossMask', number>;
  refLosses: TrainCase['losses'];
  /** Largest relative error over the reference's gradients (L1 and L2 norms, 1-D parameters whole); 0 without gradients. */
  grads: number;
  unusedDraws: number;
  /** Every parameter's gradient (when the case has gradients). */
  gradients: Map<string, Float32Array>;
}

/** Runs a training case with the reference's randperm draws; returns losses and (when the case has them) gradients of their sum. */
export function compareTrain(f: RoIHeadsFixture, c: TrainCase, features: Record<string, tf.Tensor4D>): TrainComparison {
  const replay = replayRandperm(c.randperm);
  const heads = fixtureHeads(f, { batchSizePerImage: c.batchSizePerImage, positiveFraction: c.positiveFraction, randperm: replay.randperm });
  const proposals = fixtureProposals(f);
  const targets = fixtureTargets(f, c.withGroundTruth);
  const losses: Partial<Record<'lossClassifier' | 'lossBoxReg' | 'lossMask', number>> = {};
  const named = heads.namedParameters();
  const outputs: tf.Scalar[] = [];
  const lossSum = () => {
    const out = heads.forward(features, proposals, f.imageSizes, targets).losses;
    if (!out) throw new Error('compareTrain: no losses in training mode');
    for (const [k, v] of Object.entries(out)) {
      losses[k as keyof typeof losses] = v.dataSync()[0];
      outputs.push(v);
    }
    return tf.addN(Object.values(out)) as tf.Scalar;
  };
  const gradients = new Map<string, Float32Array>();
  let worst = 0;
  if (Object.keys(c.grads).length === 0) {
    tf.dispose(lossSum());
  } else {
    const { value, grads } = tf.variableGrads(lossSum, named.map(([, v]) => v));
    for (const [name, v] of named) gradients.set(name, grads[v.name].dataSync() as Float32Array);
    tf.dispose([value, ...Object.values(grads)]);
    for (const [name, ref] of Object.entries(c.grads)) {
      const g = gradients.get(name) as Float32Array;
      let l1 = 0;
      let l2 = 0;
      for (const v of g) {
        l1 += Math.abs(v);
        l2 += v * v;
      }
      worst = Math.max(worst, relativeError([l1, Math.sqrt(l2)], [ref.l1, ref.l2]), ref.values ? relativeError(g, ref.values) : 0);
    }
  }
  tf.dispose([...outputs, ...proposals]);
  for (const t of targets) tf.dispose([t.boxes, t.labels, t.masks as tf.Tensor3D]);
  heads.dispose();
  return { losses: losses as TrainComparison['losses'], refLosses: c.losses, grads: worst, unusedDraws: replay.remaining(), gradients };
}
