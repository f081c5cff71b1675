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
import { segmenterConfig, type SegmenterConfig, type SegmenterOverrides } from '@tfvision/heads';
import { BACKBONE_SPEC, CHECKPOINT_SPEC, checkModelName, DATA_SPLIT_SPEC, nonNegative, positive, SEED_SPEC, SYNTH_DATA_SPEC, type BackboneConfig } from '../config/common-specs.js';
import type { CocoDataConfig } from '../config/data-splits.js';
import { definingHash, loadConfigWith, rememberConfigSource } from '../config/load.js';
import { checkSpec, ConfigError, type Spec } from '../config/schema.js';

export interface SegmentationTrainConfig {
  model: {
    type: 'deeplabv3' | 'deeplabv3plus';
    /** Any registered backbone; `weights` is a timm/torchvision checkpoint of it (ImageNet), loaded before training. */
    backbone: BackboneConfig;
    /** Overrides of the preset's SegmenterConfig (outputStride, aux, atrousRates, channels, dropout, ...). */
    head?: Record<string, unknown>;
  };
  /** root, train, val and synth (generated under root when a split's annotations are missing), plus: */
  data: CocoDataConfig & {
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


export const SEGMENTATION_CONFIG_SPEC: Spec = {
  kind: 'object',
  fields: {
    model: {
      kind: 'object',
      fields: {
        type: { kind: 'string', oneOf: ['deeplabv3', 'deeplabv3plus'] },
        backbone: BACKBONE_SPEC,
        head: { kind: 'anyObject' },
      },
      optional: ['head'],
    },
    data: {
      kind: 'object',
      fields: {
        root: { kind: 'string' },
        train: DATA_SPLIT_SPEC,
        val: DATA_SPLIT_SPEC,
        categories: { kind: 'numbers', min: 0, integer: true },
        minAnnotatedArea: nonNegative(),
        scale: { kind: 'numbers', length: 2, min: 1, integer: true },
        cropSize: positive(true),
        flipProb: { kind: 'number', min: 0, max: 1 },
        evalSize: { kind: 'falseOr', spec: positive(true) },
        prefetch: positive(true),
        workers: { kind: 'number', min: 0, integer: true },
        cache: { kind: 'boolean' },
        synth: SYNTH_DATA_SPEC,
      },
      optional: ['categories', 'synth', 'workers'],
    },
    optimizer: {
      kind: 'object',
      fields: { lr: positive(), batchSize: { kind: 'number', min: 2, integer: true }, momentum: { kind: 'number', min: 0, max: 0.999999 }, weightDecay: nonNegative(), auxLrMultiplier: positive() },
    },
    schedule: {
      kind: 'object',
      fields: { iterations: positive(true), epochs: positive(true), power: nonNegative(), warmupIters: nonNegative(undefined, true), warmupFactor: nonNegative(1) },
      optional: ['iterations', 'epochs'],
    },
    loss: { kind: 'object', fields: { auxWeight: nonNegative() } },
    eval: { kind: 'object', fields: { everySteps: { kind: 'falseOr', spec: positive(true) }, limit: positive(true), draw: nonNegative(undefined, true) }, optional: ['limit'] },
    checkpoint: CHECKPOINT_SPEC,
    seed: SEED_SPEC,
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
  checkModelName(c.model.backbone.name, 'model.backbone.name', source);
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
  return rememberConfigSource(c, source);
}

/** Optimiser steps of the run: schedule.iterations, or schedule.epochs over `trainImages` (each epoch drops its last partial batch). */
export function segmentationTotalSteps(c: SegmentationTrainConfig, trainImages: number): number {
  if (c.schedule.iterations !== undefined) return c.schedule.iterations;
  return (c.schedule.epochs as number) * Math.floor(trainImages / c.optimizer.batchSize);
}

/** Reads a config and the chain it extends, merges `overrides` last (CLI flags) and validates. */
export function loadSegmentationConfig(path: string, overrides: Record<string, unknown> = {}): SegmentationTrainConfig {
  return loadConfigWith(path, overrides, validateSegmentationConfig);
}

/** Hash of what defines the optimisation; where the data lives, how it is loaded, how often the run evaluates or saves are left out. */
export function segmentationConfigHash(c: SegmentationTrainConfig): string {
  const { root: _r, prefetch: _p, workers: _w, cache: _c, ...data } = c.data;
  return definingHash({ ...c, data, eval: undefined, checkpoint: undefined });
}
