import { BACKBONE_OPTION_KEYS, getModelEntry, REPLACED_OPTIONS, RESNET_VARIANTS } from '@tfvision/backbones';
import { CHECKPOINT_SPEC, checkModelName, nonNegative, positive, SEED_SPEC } from './common-specs.js';
import { RESNET_ARGS_SPEC } from './model-args.js';
import { checkSpec, ConfigError, type Spec } from './schema.js';
import type { TrainConfig } from './types.js';

/** The whole config, field by field (the README's config reference follows this). */
export const TRAIN_CONFIG_SPEC: Spec = {
  kind: 'object',
  fields: {
    model: {
      kind: 'object',
      fields: { name: { kind: 'string' }, options: { kind: 'anyObject' }, args: { kind: 'anyObject' } },
      optional: ['args'],
    },
    data: {
      kind: 'object',
      fields: {
        kind: { kind: 'string', oneOf: ['imagenet-folder', 'fashion-mnist'] },
        root: { kind: 'string' },
        inputSize: positive(true),
        evalCropPct: { kind: 'number', min: 0, max: 1, exclusiveMin: true },
        mean: { kind: 'numbers' },
        std: { kind: 'numbers', min: 1e-12 },
        workers: { kind: 'number', min: 0, integer: true },
        prefetch: { kind: 'number', min: 1, integer: true },
        trainLimit: positive(true),
        evalLimit: positive(true),
      },
      optional: ['evalCropPct', 'mean', 'std', 'trainLimit', 'evalLimit'],
    },
    augment: {
      kind: 'object',
      fields: {
        randomResizedCrop: { kind: 'falseOr', spec: { kind: 'object', fields: { scale: { kind: 'numbers', length: 2, min: 0 }, ratio: { kind: 'numbers', length: 2, min: 0 } } } },
        randomCropPadding: { kind: 'number', min: 0, integer: true },
        flip: { kind: 'boolean' },
        colorJitter: {
          kind: 'falseOr',
          spec: { kind: 'object', fields: { brightness: nonNegative(), contrast: nonNegative(), saturation: nonNegative(), hue: nonNegative(0.5) }, optional: ['hue'] },
        },
        lighting: nonNegative(),
        autoAugment: { kind: 'falseOr', spec: { kind: 'string', oneOf: ['imagenet'] } },
        randAugment: { kind: 'falseOr', spec: { kind: 'object', fields: { numOps: { kind: 'number', min: 1, integer: true }, magnitude: nonNegative(30) } } },
        mixupAlpha: nonNegative(),
        labelSmoothing: { kind: 'number', min: 0, max: 1 },
      },
    },
    optim: {
      kind: 'object',
      fields: {
        lr: positive(),
        momentum: { kind: 'number', min: 0, max: 0.999999 },
        nesterov: { kind: 'boolean' },
        weightDecay: nonNegative(),
        batchSize: positive(true),
        accumulate: positive(true),
      },
    },
    schedule: {
      kind: 'object',
      fields: {
        epochs: positive(),
        warmupEpochs: nonNegative(),
        kind: { kind: 'string', oneOf: ['cosine', 'step', 'constant'] },
        milestones: { kind: 'numbers', min: 0 },
        gamma: positive(),
      },
      optional: ['milestones', 'gamma'],
    },
    regularisation: {
      kind: 'object',
      fields: { dropBlock: { kind: 'number', min: 0, max: 0.99 }, dropRate: { kind: 'number', min: 0, max: 0.99 }, zeroInitLastBn: { kind: 'boolean' } },
    },
    eval: { kind: 'object', fields: { everySteps: positive(true), everyEpochs: positive(true) }, optional: ['everySteps', 'everyEpochs'] },
    checkpoint: CHECKPOINT_SPEC,
    log: { kind: 'object', fields: { everySteps: positive(true) } },
    seed: SEED_SPEC,
  },
};

/** Checks a merged config object (no "extends" left) and returns it typed; `source` names the file in errors. */
export function validateTrainConfig(raw: unknown, source: string): TrainConfig {
  checkSpec(raw, TRAIN_CONFIG_SPEC, '', source);
  const c = raw as TrainConfig;
  checkModelName(c.model.name, 'model.name', source);
  if (c.model.args !== undefined) {
    if (!(c.model.name in RESNET_VARIANTS)) {
      throw new ConfigError(`${source}: model.args: only ResNet-family variants take args overrides; "${c.model.name}" is of family ${getModelEntry(c.model.name).family}`);
    }
    checkSpec(c.model.args, RESNET_ARGS_SPEC, 'model.args', source);
  }
  const known = new Set<string>(BACKBONE_OPTION_KEYS);
  for (const key of Object.keys(c.model.options)) {
    if (key in REPLACED_OPTIONS) throw new ConfigError(`${source}: model.options.${key}: replaced by ${REPLACED_OPTIONS[key]}`);
    if (!known.has(key)) throw new ConfigError(`${source}: model.options.${key}: unknown backbone option (known: ${[...known].join(', ')})`);
  }
  for (const key of ['dropRate', 'dropBlockRate', 'zeroInitLastBn'] as const) {
    if (key in c.model.options) {
      throw new ConfigError(`${source}: model.options.${key}: set it under regularisation (dropRate, dropBlock, zeroInitLastBn) so the trainer can ramp and record it`);
    }
  }
  const e = c.eval;
  if ((e.everySteps === undefined) === (e.everyEpochs === undefined)) {
    throw new ConfigError(`${source}: eval: give exactly one of everySteps or everyEpochs, got ${JSON.stringify(e)}`);
  }
  if (c.schedule.warmupEpochs > c.schedule.epochs) {
    throw new ConfigError(`${source}: schedule.warmupEpochs: ${c.schedule.warmupEpochs} exceeds schedule.epochs ${c.schedule.epochs}`);
  }
  if (c.augment.autoAugment !== false && c.augment.randAugment !== false) {
    throw new ConfigError(`${source}: augment: autoAugment and randAugment are alternatives; set one of them to false`);
  }
  if (c.augment.randomResizedCrop !== false && c.augment.randomCropPadding > 0) {
    throw new ConfigError(`${source}: augment: randomResizedCrop and randomCropPadding are alternatives; turn one off`);
  }
  if (c.data.mean && c.data.std && c.data.mean.length !== c.data.std.length) {
    throw new ConfigError(`${source}: data.std: ${c.data.std.length} values but data.mean has ${c.data.mean.length}`);
  }
  return c;
}
