/**
 * The argument schema of the ResNet family (timm's model_args, `ResNetArgs` in
 * @tfvision/backbones), so `model.args` overrides in a config are checked field by field: a
 * misspelt key would otherwise train the variant's defaults, and a string where a number
 * belongs would fail deep inside TensorFlow.js with no field named.
 *
 * Kept here, beside the config validator, until backbones publishes a schema of its own; the
 * `satisfies` below fails the typecheck when ResNetArgs gains or loses a field.
 */
import { BLOCKS, type ResNetArgs } from '@tfvision/backbones';
import type { Spec } from './schema.js';

const positiveInt: Spec = { kind: 'number', min: 1, integer: true };
const flag: Spec = { kind: 'boolean' };

const RESNET_ARG_FIELDS = {
  block: { kind: 'string', oneOf: Object.keys(BLOCKS) },
  layers: { kind: 'numbers', length: 4, min: 1, integer: true },
  cardinality: positiveInt,
  baseWidth: positiveInt,
  stemWidth: positiveInt,
  stemType: { kind: 'string', oneOf: ['', 'deep'] },
  avgDown: flag,
  se: flag,
  sk: {
    kind: 'object',
    fields: { rdRatio: { kind: 'number', min: 0, exclusiveMin: true, max: 1 }, rdDivisor: positiveInt, splitInput: flag },
    optional: ['rdRatio', 'rdDivisor', 'splitInput'],
  },
  resnest: { kind: 'object', fields: { radix: positiveInt, avd: flag, avdFirst: flag } },
  zeroInitLast: flag,
  channels: { kind: 'numbers', length: 4, min: 1, integer: true },
  stemStride: { kind: 'number', integer: true, oneOf: [1, 2] },
  stemPool: flag,
} satisfies Record<keyof ResNetArgs, Spec>;

/** Every field is optional: `model.args` overrides the registered variant's arguments. */
export const RESNET_ARGS_SPEC: Spec = { kind: 'object', fields: RESNET_ARG_FIELDS, optional: Object.keys(RESNET_ARG_FIELDS) };
