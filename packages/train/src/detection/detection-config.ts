/**
 * The detection training config: typed, validated data with base-and-override inheritance
 * ("extends", deep merge, arrays replaced), as train cls's configs (config/load.ts). The model
 * part is a preset (`fasterrcnn_B_fpn` / `maskrcnn_B_fpn`, B = `model.backbone.name`, so a
 * backbone swap is one line) plus overrides of its RcnnConfig, checked by the heads' own
 * override validator; everything else is checked here field by field. Errors name the file and
 * the JSON path.
 */
import { createHash } from 'node:crypto';
import { getModelEntry } from '@tfvision/backbones';
import { detectorConfig, type RcnnConfig } from '@tfvision/heads';
import { deepMerge, resolveExtends } from '../config/load.js';
import { checkSpec, ConfigError, type Spec } from '../config/schema.js';

export interface DetectionSplitConfig {
  annotations: string;
  images: string;
}

export interface DetectionSynthConfig {
  size: number;
  colors: 'category' | 'random';
  maxOcclusion?: number;
  train: { images: number; seed: number };
  val: { images: number; seed: number };
}

export interface DetectionTrainConfig {
  model: {
    type: 'faster_rcnn' | 'mask_rcnn';
    backbone: { name: string; options?: Record<string, unknown> };
    /** Overrides of the preset's RcnnConfig (numClasses is set from the data). */
    neck?: Record<string, unknown>;
    rpn?: Record<string, unknown>;
    roiHeads?: Record<string, unknown>;
    transform?: Record<string, unknown>;
  };
  data: {
    /** Folder train/val paths are relative to. */
    root: string;
    train: DetectionSplitConfig;
    val: DetectionSplitConfig;
    flipProb: number;
    prefetch: number;
    /** When present and root/train's annotations are missing, the synthetic set is generated there first. */
    synth?: DetectionSynthConfig;
  };
  optimizer: {
    /** Per 16 images (linear scaling rule). */
    lr: number;
    batchSize: number;
    momentum: number;
    weightDecay: number;
    weightDecayNorm: number;
    /** Default: weightDecay. */
    weightDecayBias?: number;
    /** false, or the global L2 norm gradients are clipped to. */
    clipGradNorm: false | number;
  };
  schedule: { iterations: number; warmupIters: number; warmupFactor: number; milestones: number[]; gamma: number };
  eval: { everySteps: false | number; limit?: number };
  checkpoint: { everySteps: number; keep: number };
  seed: number;
}

const pos = (integer = false): Spec => ({ kind: 'number', min: 0, exclusiveMin: true, integer });
const nonNeg = (max?: number): Spec => ({ kind: 'number', min: 0, max });
const split: Spec = { kind: 'object', fields: { annotations: { kind: 'string' }, images: { kind: 'string' } } };
const synthSplit: Spec = { kind: 'object', fields: { images: pos(true), seed: { kind: 'number', min: 0, integer: true } } };

export const DETECTION_CONFIG_SPEC: Spec = {
  kind: 'object',
  fields: {
    model: {
      kind: 'object',
      fields: {
        type: { kind: 'string', oneOf: ['faster_rcnn', 'mask_rcnn'] },
        backbone: { kind: 'object', fields: { name: { kind: 'string' }, options: { kind: 'anyObject' } }, optional: ['options'] },
        neck: { kind: 'anyObject' },
        rpn: { kind: 'anyObject' },
        roiHeads: { kind: 'anyObject' },
        transform: { kind: 'anyObject' },
      },
      optional: ['neck', 'rpn', 'roiHeads', 'transform'],
    },
    data: {
      kind: 'object',
      fields: {
        root: { kind: 'string' },
        train: split,
        val: split,
        flipProb: { kind: 'number', min: 0, max: 1 },
        prefetch: pos(true),
        synth: {
          kind: 'object',
          fields: { size: { kind: 'number', min: 32, max: 4096, integer: true }, colors: { kind: 'string', oneOf: ['category', 'random'] }, maxOcclusion: nonNeg(0.9), train: synthSplit, val: synthSplit },
          optional: ['maxOcclusion'],
        },
      },
      optional: ['synth'],
    },
    optimizer: {
      kind: 'object',
      fields: {
        lr: pos(),
        batchSize: pos(true),
        momentum: { kind: 'number', min: 0, max: 0.999999 },
        weightDecay: nonNeg(),
        weightDecayNorm: nonNeg(),
        weightDecayBias: nonNeg(),
        clipGradNorm: { kind: 'falseOr', spec: pos() },
      },
      optional: ['weightDecayBias'],
    },
    schedule: {
      kind: 'object',
      fields: { iterations: pos(true), warmupIters: { kind: 'number', min: 0, integer: true }, warmupFactor: { kind: 'number', min: 0, max: 1 }, milestones: { kind: 'numbers', min: 0, integer: true }, gamma: pos() },
    },
    eval: { kind: 'object', fields: { everySteps: { kind: 'falseOr', spec: pos(true) }, limit: pos(true) }, optional: ['limit'] },
    checkpoint: { kind: 'object', fields: { everySteps: pos(true), keep: pos(true) } },
    seed: { kind: 'number', min: 0, integer: true },
  },
};

/** The detector preset a config builds: `fasterrcnn_<backbone>_fpn` or `maskrcnn_<backbone>_fpn`. */
export function presetName(c: DetectionTrainConfig): string {
  return `${c.model.type === 'faster_rcnn' ? 'fasterrcnn' : 'maskrcnn'}_${c.model.backbone.name}_fpn`;
}

/** The model's RcnnConfig for `numClasses` (K categories + background). */
export function detectionModelConfig(c: DetectionTrainConfig, numClasses: number, source = 'config'): RcnnConfig {
  const { type: _t, backbone, ...rest } = c.model;
  try {
    return detectorConfig(presetName(c), { ...(rest as object), numClasses, backbone: { name: backbone.name, ...(backbone.options ? { options: backbone.options } : {}) } } as Parameters<typeof detectorConfig>[1]);
  } catch (err) {
    throw new ConfigError(`${source}: model: ${(err as Error).message}`);
  }
}

export function validateDetectionConfig(raw: unknown, source: string): DetectionTrainConfig {
  checkSpec(raw, DETECTION_CONFIG_SPEC, '', source);
  const c = raw as DetectionTrainConfig;
  try {
    getModelEntry(c.model.backbone.name);
  } catch (err) {
    throw new ConfigError(`${source}: model.backbone.name: ${(err as Error).message}`);
  }
  // Builds the preset's config with the overrides now, so a bad key stops before any data is read.
  detectionModelConfig(c, 2, source);
  const { milestones, iterations, warmupIters } = c.schedule;
  milestones.forEach((m, i) => {
    if (i > 0 && m <= milestones[i - 1]) throw new ConfigError(`${source}: schedule.milestones: must increase, got ${JSON.stringify(milestones)}`);
    if (m > iterations) throw new ConfigError(`${source}: schedule.milestones: ${m} is past schedule.iterations ${iterations}`);
  });
  if (warmupIters > iterations) throw new ConfigError(`${source}: schedule.warmupIters: ${warmupIters} exceeds schedule.iterations ${iterations}`);
  return c;
}

/** Reads a config and the chain it extends, merges `overrides` last (CLI flags) and validates. */
export function loadDetectionConfig(path: string, overrides: Record<string, unknown> = {}): DetectionTrainConfig {
  const merged = deepMerge(resolveExtends(path), overrides as Parameters<typeof deepMerge>[1]);
  return validateDetectionConfig(merged, path);
}

/** Hash of what defines the optimisation; where data lives and how often the run evaluates or saves are left out. */
export function detectionConfigHash(c: DetectionTrainConfig): string {
  const { root: _r, prefetch: _p, ...data } = c.data;
  const defining = { ...c, data, eval: undefined, checkpoint: undefined };
  const canon = (v: unknown): unknown =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])]))
      : Array.isArray(v)
        ? v.map(canon)
        : v;
  return createHash('sha256').update(JSON.stringify(canon(defining))).digest('hex').slice(0, 16);
}
