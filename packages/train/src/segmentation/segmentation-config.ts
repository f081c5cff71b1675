/**
 * The segmentation training config: typed, validated data with base-and-override inheritance
 * ("extends", deep merge, arrays replaced), as the classification and detection configs. The
 * model is a preset, `deeplabv3_B` or `deeplabv3plus_B` with B = `model.backbone.name` (so a
 * backbone swap is one line), plus `model.head` overrides of its SegmenterConfig, checked by the
 * heads' own validator; numClasses comes from the data. The recipe knobs are torchvision's
 * segmentation reference (references/segmentation/train.py and presets.py): SGD momentum 0.9,
 * weight decay 1e-4, lr 0.02 at batch 32 (8 GPUs x 4) with the poly schedule (power 0.9) by
 * iteration, the auxiliary head at 10x the rate and its loss at 0.5, random scale 0.5..2 of 520,
 * crop 480, flip 0.5, evaluation at 520. Errors name the file and the JSON path.
 */
import { createHash } from 'node:crypto';
import { getModelEntry } from '@tfvision/backbones';
import { segmenterConfig, type SegmenterConfig, type SegmenterOverrides } from '@tfvision/heads';
import { deepMerge, resolveExtends } from '../config/load.js';
import { checkSpec, ConfigError, type Spec } from '../config/schema.js';

export interface SegmentationSplitConfig {
  annotations: string;
  images: string;
}

export interface SegmentationSynthConfig {
  size: number;
  colors: 'category' | 'random';
  maxOcclusion?: number;
  train: { images: number; seed: number };
  val: { images: number; seed: number };
}

export interface SegmentationTrainConfig {
  model: {
    type: 'deeplabv3' | 'deeplabv3plus';
    /** Any registered backbone; `weights` is a timm/torchvision checkpoint of it (ImageNet), loaded before training. */
    backbone: { name: string; options?: Record<string, unknown>; weights?: string };
    /** Overrides of the preset's SegmenterConfig (outputStride, aux, atrousRates, channels, dropout, ...). */
    head?: Record<string, unknown>;
  };
  data: {
    /** Folder train/val paths are relative to. */
    root: string;
    train: SegmentationSplitConfig;
    val: SegmentationSplitConfig;
    /** COCO category ids in class order (class k + 1); absent: all, by id. */
    categories?: number[];
    /** Training images whose used annotations cover no more than this area are left out (torchvision: 1000). */
    minAnnotatedArea: number;
    /** Shorter side drawn from [min, max] for training. */
    scale: [number, number];
    cropSize: number;
    flipProb: number;
    /** Shorter side at evaluation; false: each image's own size. */
    evalSize: false | number;
    prefetch: number;
    /** Worker threads decoding and augmenting (0 or absent: in-process); batches are the same for any count. */
    workers?: number;
    /** Keep decoded samples in memory (small sets). */
    cache: boolean;
    /** When present and a split's annotations are missing, the synthetic set is generated there first. */
    synth?: SegmentationSynthConfig;
  };
  optimizer: {
    lr: number;
    batchSize: number;
    momentum: number;
    weightDecay: number;
    /** Learning-rate multiplier of the auxiliary head (torchvision: 10). */
    auxLrMultiplier: number;
  };
  /** Exactly one of iterations and epochs (torchvision's recipe counts 30 epochs of the filtered training set). */
  schedule: { iterations?: number; epochs?: number; power: number; warmupIters: number; warmupFactor: number };
  loss: { auxWeight: number };
  eval: { everySteps: false | number; limit?: number; draw: number };
  checkpoint: { everySteps: number; keep: number };
  seed: number;
}

const pos = (integer = false): Spec => ({ kind: 'number', min: 0, exclusiveMin: true, integer });
const nonNeg = (max?: number, integer = false): Spec => ({ kind: 'number', min: 0, max, integer });
const split: Spec = { kind: 'object', fields: { annotations: { kind: 'string' }, images: { kind: 'string' } } };
const synthSplit: Spec = { kind: 'object', fields: { images: pos(true), seed: { kind: 'number', min: 0, integer: true } } };

export const SEGMENTATION_CONFIG_SPEC: Spec = {
  kind: 'object',
  fields: {
    model: {
      kind: 'object',
      fields: {
        type: { kind: 'string', oneOf: ['deeplabv3', 'deeplabv3plus'] },
        backbone: { kind: 'object', fields: { name: { kind: 'string' }, options: { kind: 'anyObject' }, weights: { kind: 'string' } }, optional: ['options', 'weights'] },
        head: { kind: 'anyObject' },
      },
      optional: ['head'],
    },
    data: {
      kind: 'object',
      fields: {
        root: { kind: 'string' },
        train: split,
        val: split,
        categories: { kind: 'numbers', min: 0, integer: true },
        minAnnotatedArea: nonNeg(),
        scale: { kind: 'numbers', length: 2, min: 1, integer: true },
        cropSize: pos(true),
        flipProb: { kind: 'number', min: 0, max: 1 },
        evalSize: { kind: 'falseOr', spec: pos(true) },
        prefetch: pos(true),
        workers: { kind: 'number', min: 0, integer: true },
        cache: { kind: 'boolean' },
        synth: {
          kind: 'object',
          fields: { size: { kind: 'number', min: 32, max: 4096, integer: true }, colors: { kind: 'string', oneOf: ['category', 'random'] }, maxOcclusion: nonNeg(0.9), train: synthSplit, val: synthSplit },
          optional: ['maxOcclusion'],
        },
      },
      optional: ['categories', 'synth', 'workers'],
    },
    optimizer: {
      kind: 'object',
      fields: { lr: pos(), batchSize: { kind: 'number', min: 2, integer: true }, momentum: { kind: 'number', min: 0, max: 0.999999 }, weightDecay: nonNeg(), auxLrMultiplier: pos() },
    },
    schedule: {
      kind: 'object',
      fields: { iterations: pos(true), epochs: pos(true), power: nonNeg(), warmupIters: nonNeg(undefined, true), warmupFactor: nonNeg(1) },
      optional: ['iterations', 'epochs'],
    },
    loss: { kind: 'object', fields: { auxWeight: nonNeg() } },
    eval: { kind: 'object', fields: { everySteps: { kind: 'falseOr', spec: pos(true) }, limit: pos(true), draw: nonNeg(undefined, true) }, optional: ['limit'] },
    checkpoint: { kind: 'object', fields: { everySteps: pos(true), keep: pos(true) } },
    seed: { kind: 'number', min: 0, integer: true },
  },
};

/** The segmenter preset a config builds: `deeplabv3_<backbone>` or `deeplabv3plus_<backbone>`. */
export function segmentationPresetName(c: SegmentationTrainConfig): string {
  return `${c.model.type}_${c.model.backbone.name}`;
}

/** The model's SegmenterConfig for `numClasses` (background + K categories). */
export function segmentationModelConfig(c: SegmentationTrainConfig, numClasses: number, source = 'config'): SegmenterConfig {
  const overrides = { ...(c.model.head ?? {}), numClasses, ...(c.model.backbone.options ? { backboneOptions: c.model.backbone.options } : {}) } as SegmenterOverrides;
  for (const key of ['numClasses', 'backbone', 'backboneOptions', 'type'] as const) {
    if (c.model.head && key in c.model.head) {
      const where = key === 'numClasses' ? 'it comes from the data' : key === 'type' ? 'use model.type' : key === 'backbone' ? 'use model.backbone.name' : 'use model.backbone.options';
      throw new ConfigError(`${source}: model.head.${key}: cannot be set here (${where})`);
    }
  }
  try {
    return segmenterConfig(segmentationPresetName(c), overrides);
  } catch (err) {
    throw new ConfigError(`${source}: model.head: ${(err as Error).message}`);
  }
}

export function validateSegmentationConfig(raw: unknown, source: string): SegmentationTrainConfig {
  checkSpec(raw, SEGMENTATION_CONFIG_SPEC, '', source);
  const c = raw as SegmentationTrainConfig;
  try {
    getModelEntry(c.model.backbone.name);
  } catch (err) {
    throw new ConfigError(`${source}: model.backbone.name: ${(err as Error).message}`);
  }
  // The preset's config with the overrides, now, so a bad key stops before any data is read.
  const model = segmentationModelConfig(c, 2, source);
  const [lo, hi] = c.data.scale;
  if (hi < lo) throw new ConfigError(`${source}: data.scale: expected [min, max] with min <= max, got ${JSON.stringify(c.data.scale)}`);
  const cats = c.data.categories;
  if (cats && new Set(cats).size !== cats.length) throw new ConfigError(`${source}: data.categories: each category id may appear once, got ${JSON.stringify(cats)}`);
  if (cats && cats.length === 0) throw new ConfigError(`${source}: data.categories: expected at least one category id (or leave it out for all)`);
  const multiple = model.type === 'deeplabv3plus' ? 16 : 1;
  if (c.data.cropSize % multiple !== 0) throw new ConfigError(`${source}: data.cropSize: ${c.data.cropSize} is not a multiple of ${multiple} (DeepLabV3+'s output stride)`);
  const { iterations, epochs, warmupIters } = c.schedule;
  if ((iterations === undefined) === (epochs === undefined)) throw new ConfigError(`${source}: schedule: give exactly one of iterations and epochs, got ${iterations === undefined ? 'neither' : 'both'}`);
  if (iterations !== undefined && warmupIters >= iterations) throw new ConfigError(`${source}: schedule.warmupIters: ${warmupIters} must be below schedule.iterations ${iterations}`);
  return c;
}

/** Optimiser steps of the run: schedule.iterations, or schedule.epochs over `trainImages` (each epoch drops its last partial batch). */
export function segmentationTotalSteps(c: SegmentationTrainConfig, trainImages: number): number {
  if (c.schedule.iterations !== undefined) return c.schedule.iterations;
  return (c.schedule.epochs as number) * Math.floor(trainImages / c.optimizer.batchSize);
}

/** Reads a config and the chain it extends, merges `overrides` last (CLI flags) and validates. */
export function loadSegmentationConfig(path: string, overrides: Record<string, unknown> = {}): SegmentationTrainConfig {
  const merged = deepMerge(resolveExtends(path), overrides as Parameters<typeof deepMerge>[1]);
  return validateSegmentationConfig(merged, path);
}

/** Hash of what defines the optimisation; where the data lives, how it is loaded, how often the run evaluates or saves are left out. */
export function segmentationConfigHash(c: SegmentationTrainConfig): string {
  const { root: _r, prefetch: _p, workers: _w, cache: _c, ...data } = c.data;
  const defining = { ...c, data, eval: undefined, checkpoint: undefined };
  const canon = (v: unknown): unknown =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])]))
      : Array.isArray(v)
        ? v.map(canon)
        : v;
  return createHash('sha256').update(JSON.stringify(canon(defining))).digest('hex').slice(0, 16);
}
