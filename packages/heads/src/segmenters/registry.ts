import { listModels } from '@tfvision/backbones';
import { BACKBONE_FEATURES } from '../detectors/backbone-features.js';
import { DeepLabV3 } from './deeplabv3.js';
import { DeepLabV3Plus } from './deeplabv3plus.js';
import type { Segmenter } from './segmenter.js';
import { deeplabv3Defaults, deeplabv3PlusDefaults, validateSegmenterConfig, type DeepLabV3Config, type DeepLabV3PlusConfig, type SegmenterConfig } from './segmenter-config.js';
import { segmenterParamCount } from './segmenter-params.js';

/**
 * The registry of segmenters, as the detector registry: torchvision-style names over every
 * backbone of the zoo, each entry a preset config plus metadata.
 * - `deeplabv3_B` follows torchvision (`backbone.*`, `classifier.*`, `aux_classifier.*`);
 *   `deeplabv3_resnet50` and `deeplabv3_resnet101` are torchvision's models. The aux head is on,
 *   as in torchvision's COCO_WITH_VOC_LABELS checkpoints (num_params 42,004,074 for ResNet-50);
 *   torchvision's builder without weights leaves it off unless aux_loss=True: `{ aux: false }`.
 * - `deeplabv3plus_B` follows segmentation_models.pytorch's DeepLabV3Plus: smp's own ResNet
 *   encoder for resnet50 (`encoder.*`), the `tu-` timm universal encoder for every other backbone
 *   (`encoder.model.*`).
 */
export interface SegmenterEntry {
  name: string;
  family: 'segmenter';
  /** The implementation whose semantics and checkpoint layout the preset follows. */
  reference: 'torchvision' | 'smp';
  backbone: string;
  config(): SegmenterConfig;
  /** All weights (no running statistics), from the config. */
  readonly params: number;
}

/** Fields of a preset's config that createSegmenter may replace (the type stays). */
export type SegmenterOverrides = Partial<Omit<DeepLabV3Config, 'type'>> | Partial<Omit<DeepLabV3PlusConfig, 'type'>>;

const registry = new Map<string, SegmenterEntry>();

function register(name: string, backbone: string, reference: SegmenterEntry['reference'], config: () => SegmenterConfig): void {
  if (registry.has(name)) throw new Error(`segmenter "${name}" is registered twice`);
  let params: number | undefined;
  registry.set(name, {
    name,
    family: 'segmenter',
    reference,
    backbone,
    config,
    get params() {
      if (params === undefined) {
        const features = BACKBONE_FEATURES[backbone];
        if (!features) throw new Error(`segmenter "${name}": backbone "${backbone}" is missing from backbone-features.ts (run packages/heads/tools/backbone-features.mjs)`);
        params = segmenterParamCount(config(), features);
      }
      return params;
    },
  });
}

for (const { name: b } of listModels()) {
  register(`deeplabv3_${b}`, b, 'torchvision', () => deeplabv3Defaults(b));
  register(`deeplabv3plus_${b}`, b, 'smp', () => deeplabv3PlusDefaults(b));
}

export function listSegmenters(): SegmenterEntry[] {
  return [...registry.values()];
}

export function hasSegmenter(name: string): boolean {
  return registry.has(name);
}

export function getSegmenterEntry(name: string): SegmenterEntry {
  const entry = registry.get(name);
  if (!entry) {
    const near = [...registry.keys()].filter((k) => k.includes(name) || name.includes(k)).slice(0, 5);
    throw new Error(`unknown segmenter "${name}"${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}; \`tfvision model list --family segmenter\` shows all ${registry.size}`);
  }
  return entry;
}

/** The preset's config with `overrides` applied and validated (unknown keys name the key). */
export function segmenterConfig(name: string, overrides: SegmenterOverrides = {}): SegmenterConfig {
  const base = getSegmenterEntry(name).config();
  if ('type' in overrides) throw new Error(`createSegmenter("${name}"): type cannot be overridden (got ${JSON.stringify((overrides as { type: unknown }).type)}); pick a deeplabv3_* or deeplabv3plus_* preset`);
  return validateSegmenterConfig({ ...base, ...overrides } as SegmenterConfig, `createSegmenter("${name}")`);
}

/**
 * Builds a registered segmenter.
 * @example createSegmenter('deeplabv3_resnet50', { numClasses: 2, aux: false })
 */
export function createSegmenter(name: string, overrides: SegmenterOverrides = {}): Segmenter {
  const config = segmenterConfig(name, overrides);
  return config.type === 'deeplabv3' ? new DeepLabV3(config, name) : new DeepLabV3Plus(config, name);
}
