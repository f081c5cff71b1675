/**
 * The detection training config: typed, validated data with base-and-override inheritance
 * ("extends", deep merge, arrays replaced), as train cls's configs (config/load.ts). The model
 * part is a preset (`fasterrcnn_B_fpn` / `maskrcnn_B_fpn` with torchvision's semantics,
 * `cascade_rcnn_B_fpn` / `cascade_mask_rcnn_B_fpn` with detectron2's; B = `model.backbone.name`,
 * so a backbone swap is one line) plus overrides of its config, checked by the heads' own
 * override validator. `model.transform.minSizeRange: [lo, hi]` is detectron2's "range" sampling of
 * the training short side (np.random.randint(lo, hi + 1)), written as the equivalent choice list
 * lo..hi. Everything else is checked here field by field. Errors name the file and the JSON path.
 */
import { cascadeDetectorConfig, detectorConfig, type CascadeRcnnConfig, type RcnnConfig } from '@tfvision/heads';
import { BACKBONE_SPEC, CHECKPOINT_SPEC, checkModelName, DATA_SPLIT_SPEC, nonNegative, positive, SEED_SPEC, SYNTH_DATA_SPEC, type BackboneConfig } from '../config/common-specs.js';
import type { CocoDataConfig } from '../config/data-splits.js';
import { definingHash, loadConfigWith, rememberConfigSource } from '../config/load.js';
import { checkSpec, ConfigError, type Spec } from '../config/schema.js';
import { checkParamGroupRules, type ParamGroupRule } from './param-group-rules.js';
import { isCascadeType, type DetectorType } from './trainable-detector.js';

export interface DetectionTrainConfig {
  model: {
    type: DetectorType;
    /**
     * `weights`: a timm or torchvision safetensors file of the backbone (an ImageNet classifier,
     * classifier head left out) loaded into `backbone.body` before training, relative to the
     * working directory; the 1x recipes start from ImageNet weights.
     */
    backbone: BackboneConfig;
    /** Overrides of the preset's RcnnConfig or CascadeRcnnConfig (numClasses is set from the data). */
    neck?: Record<string, unknown>;
    rpn?: Record<string, unknown>;
    roiHeads?: Record<string, unknown>;
    transform?: Record<string, unknown>;
  };
  /** root, train, val and synth (generated under root when train's annotations are missing), plus: */
  data: CocoDataConfig & {
    flipProb: number;
    prefetch: number;
    /** Worker threads decoding and augmenting (0 or absent: in-process); batches are the same for any count. */
    workers?: number;
    /**
     * Batches of one aspect-ratio group (wider than high, or not), as detectron2's
     * DATALOADER.ASPECT_RATIO_GROUPING; less padding. Absent: false.
     */
    aspectRatioGrouping?: boolean;
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
    /** Per-parameter rules (detectron2's per-name overrides): the first whose glob matches a name sets its lr multiplier and decay. */
    paramGroups?: ParamGroupRule[];
  };
  schedule: { iterations: number; warmupIters: number; warmupFactor: number; milestones: number[]; gamma: number };
  eval: { everySteps: false | number; limit?: number };
  checkpoint: { everySteps: number; keep: number };
  seed: number;
}


export const DETECTION_CONFIG_SPEC: Spec = {
  kind: 'object',
  fields: {
    model: {
      kind: 'object',
      fields: {
        type: { kind: 'string', oneOf: ['faster_rcnn', 'mask_rcnn', 'cascade_rcnn', 'cascade_mask_rcnn'] },
        backbone: BACKBONE_SPEC,
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
        train: DATA_SPLIT_SPEC,
        val: DATA_SPLIT_SPEC,
        flipProb: { kind: 'number', min: 0, max: 1 },
        prefetch: positive(true),
        workers: { kind: 'number', min: 0, integer: true },
        aspectRatioGrouping: { kind: 'boolean' },
        synth: SYNTH_DATA_SPEC,
      },
      optional: ['synth', 'workers', 'aspectRatioGrouping'],
    },
    optimizer: {
      kind: 'object',
      fields: {
        lr: positive(),
        batchSize: positive(true),
        momentum: { kind: 'number', min: 0, max: 0.999999 },
        weightDecay: nonNegative(),
        weightDecayNorm: nonNegative(),
        weightDecayBias: nonNegative(),
        clipGradNorm: { kind: 'falseOr', spec: positive() },
      },
      // paramGroups, an array of objects, has no spec kind: validateDetectionConfig checks it apart.
      optional: ['weightDecayBias'],
    },
    schedule: {
      kind: 'object',
      fields: { iterations: positive(true), warmupIters: { kind: 'number', min: 0, integer: true }, warmupFactor: { kind: 'number', min: 0, max: 1 }, milestones: { kind: 'numbers', min: 0, integer: true }, gamma: positive() },
    },
    eval: { kind: 'object', fields: { everySteps: { kind: 'falseOr', spec: positive(true) }, limit: positive(true) }, optional: ['limit'] },
    checkpoint: CHECKPOINT_SPEC,
    seed: SEED_SPEC,
  },
};

const PRESET_PREFIX: Record<DetectorType, string> = { faster_rcnn: 'fasterrcnn', mask_rcnn: 'maskrcnn', cascade_rcnn: 'cascade_rcnn', cascade_mask_rcnn: 'cascade_mask_rcnn' };

/** The detector preset a config builds: `fasterrcnn_B_fpn`, `maskrcnn_B_fpn`, `cascade_rcnn_B_fpn` or `cascade_mask_rcnn_B_fpn`. */
export function presetName(c: DetectionTrainConfig): string {
  return `${PRESET_PREFIX[c.model.type]}_${c.model.backbone.name}_fpn`;
}

/** A detector's config of either family, as detectionModelConfig builds it. */
export type DetectorConfig = RcnnConfig | CascadeRcnnConfig;

/**
 * `model.transform` with `minSizeRange: [lo, hi]` replaced by the training size list lo..hi under
 * the family's key (torchvision's minSize, whose last entry is also the test size; detectron2's
 * minSizeTrain, the test size being minSizeTest), replacing any list given there.
 */
function expandMinSizeRange(transform: Record<string, unknown> | undefined, type: DetectorType, source: string): Record<string, unknown> | undefined {
  if (!transform || transform.minSizeRange === undefined) return transform;
  const { minSizeRange: range, ...rest } = transform;
  const where = `${source}: model.transform.minSizeRange`;
  if (!Array.isArray(range) || range.length !== 2 || !range.every((v) => Number.isInteger(v) && v > 0) || range[0] > range[1]) {
    throw new ConfigError(`${where}: expected [min, max] of positive integers with min <= max, got ${JSON.stringify(range)}`);
  }
  // The range replaces a size list, one inherited from a base config included (a merge cannot delete a key).
  const key = isCascadeType(type) ? 'minSizeTrain' : 'minSize';
  const [lo, hi] = range as [number, number];
  return { ...rest, [key]: Array.from({ length: hi - lo + 1 }, (_, i) => lo + i) };
}

/**
 * The model's config for a dataset of `numCategories` categories: torchvision's numClasses counts
 * the background (K + 1), detectron2's does not (K).
 */
export function detectionModelConfig(c: DetectionTrainConfig, numCategories: number, source = 'config'): DetectorConfig {
  const { type, backbone, transform, ...rest } = c.model;
  const t = expandMinSizeRange(transform, type, source);
  const overrides = { ...(rest as object), ...(t ? { transform: t } : {}), backbone: { name: backbone.name, ...(backbone.options ? { options: backbone.options } : {}) } };
  try {
    if (isCascadeType(type)) return cascadeDetectorConfig(presetName(c), { ...overrides, numClasses: numCategories } as Parameters<typeof cascadeDetectorConfig>[1]);
    return detectorConfig(presetName(c), { ...overrides, numClasses: numCategories + 1 } as Parameters<typeof detectorConfig>[1]);
  } catch (err) {
    throw new ConfigError(`${source}: model: ${(err as Error).message}`);
  }
}

function withoutParamGroups(raw: unknown): { rest: unknown; paramGroups: unknown } {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(raw) || !isObject(raw.optimizer) || !('paramGroups' in raw.optimizer)) return { rest: raw, paramGroups: undefined };
  const { paramGroups, ...optimizer } = raw.optimizer;
  return { rest: { ...raw, optimizer }, paramGroups };
}

export function validateDetectionConfig(raw: unknown, source: string): DetectionTrainConfig {
  const { rest, paramGroups } = withoutParamGroups(raw);
  checkSpec(rest, DETECTION_CONFIG_SPEC, '', source);
  if (paramGroups !== undefined) checkParamGroupRules(paramGroups, 'optimizer.paramGroups', source);
  const c = raw as DetectionTrainConfig;
  checkModelName(c.model.backbone.name, 'model.backbone.name', source);
  // Builds the preset's config with the overrides now, so a bad key stops before any data is read.
  detectionModelConfig(c, 1, source);
  const { milestones, iterations, warmupIters } = c.schedule;
  milestones.forEach((m, i) => {
    if (i > 0 && m <= milestones[i - 1]) throw new ConfigError(`${source}: schedule.milestones: must increase, got ${JSON.stringify(milestones)}`);
    if (m > iterations) throw new ConfigError(`${source}: schedule.milestones: ${m} is past schedule.iterations ${iterations}`);
  });
  if (warmupIters > iterations) throw new ConfigError(`${source}: schedule.warmupIters: ${warmupIters} exceeds schedule.iterations ${iterations}`);
  return rememberConfigSource(c, source);
}

/** Reads a config and the chain it extends, merges `overrides` last (CLI flags) and validates. */
export function loadDetectionConfig(path: string, overrides: Record<string, unknown> = {}): DetectionTrainConfig {
  return loadConfigWith(path, overrides, validateDetectionConfig);
}

/**
 * Hash of what defines the optimisation; where data and backbone weights live (a resume reads the
 * weights from its checkpoint) and how often the run evaluates or saves are left out.
 */
export function detectionConfigHash(c: DetectionTrainConfig): string {
  const { root: _r, prefetch: _p, workers: _n, ...data } = c.data;
  const { weights: _w, ...backbone } = c.model.backbone;
  return definingHash({ ...c, model: { ...c.model, backbone }, data, eval: undefined, checkpoint: undefined });
}
