/**
 * The config pieces the classification, detection and segmentation configs share: number specs,
 * a COCO split, the synthetic-data block, the backbone block, checkpoints, the seed, and the
 * check that a backbone name exists. One definition each, so the three validate alike.
 */
import { getModelEntry } from '@tfvision/backbones';
import { ConfigError, type Spec } from './schema.js';

/** A number > 0 (an integer when `integer`). */
export const positive = (integer = false): Spec => ({ kind: 'number', min: 0, exclusiveMin: true, integer });

/** A number in [0, max] (an integer when `integer`). */
export const nonNegative = (max?: number, integer = false): Spec => ({ kind: 'number', min: 0, max, integer });

/** One COCO-format split: an annotations file and its image folder, relative to `data.root`. */
export interface DataSplitConfig {
  annotations: string;
  images: string;
}

/** `tfvision data synth`'s options, run when a split's annotations are missing. */
export interface SynthDataConfig {
  size: number;
  colors: 'category' | 'random';
  maxOcclusion?: number;
  train: { images: number; seed: number };
  val: { images: number; seed: number };
}

/** A backbone of the zoo with its options and an optional ImageNet checkpoint to start from. */
export interface BackboneConfig {
  name: string;
  options?: Record<string, unknown>;
  weights?: string;
}

export const SEED_SPEC: Spec = { kind: 'number', min: 0, integer: true };

export const DATA_SPLIT_SPEC: Spec = { kind: 'object', fields: { annotations: { kind: 'string' }, images: { kind: 'string' } } };

const SYNTH_SPLIT_SPEC: Spec = { kind: 'object', fields: { images: positive(true), seed: SEED_SPEC } };

export const SYNTH_DATA_SPEC: Spec = {
  kind: 'object',
  fields: {
    size: { kind: 'number', min: 32, max: 4096, integer: true },
    colors: { kind: 'string', oneOf: ['category', 'random'] },
    maxOcclusion: nonNegative(0.9),
    train: SYNTH_SPLIT_SPEC,
    val: SYNTH_SPLIT_SPEC,
  },
  optional: ['maxOcclusion'],
};

export const BACKBONE_SPEC: Spec = {
  kind: 'object',
  fields: { name: { kind: 'string' }, options: { kind: 'anyObject' }, weights: { kind: 'string' } },
  optional: ['options', 'weights'],
};

export const CHECKPOINT_SPEC: Spec = { kind: 'object', fields: { everySteps: positive(true), keep: positive(true) } };

/** Stops with one line naming the field when `name` is not a registered model. */
export function checkModelName(name: string, field: string, source: string): void {
  try {
    getModelEntry(name);
  } catch (err) {
    throw new ConfigError(`${source}: ${field}: ${(err as Error).message}`);
  }
}
