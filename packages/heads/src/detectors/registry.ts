import { listModels } from '@tfvision/backbones';
import { torchvisionRcnnDefaults, torchvisionRcnnV2Defaults, type RcnnConfig } from './rcnn-config.js';
import { rcnnParamCount } from './rcnn-params.js';
import { GeneralizedRcnn } from './generalized-rcnn.js';
import { overrideConfig, type ConfigOverrides } from './override-config.js';
import { BACKBONE_FEATURES as FEATURES } from './backbone-features.js';

/**
 * The registry of detectors (and, later, segmenters): torchvision-style names over every
 * backbone of the zoo, each entry a preset config plus metadata, as timm registers backbones.
 * `fasterrcnn_resnet50_fpn` is the B = resnet50 case of `fasterrcnn_B_fpn` and equals
 * torchvision's; for other backbones `backbone.body.*` holds the backbone's own (timm) names.
 */
export interface DetectorEntry {
  name: string;
  family: 'detector';
  /** The implementation whose semantics and checkpoint layout the preset follows. */
  reference: 'torchvision' | 'detectron2';
  backbone: string;
  config(): RcnnConfig;
  /** All weights (frozen or not, no running statistics), from the config. */
  readonly params: number;
}

const registry = new Map<string, DetectorEntry>();

function register(name: string, backbone: string, config: () => RcnnConfig): void {
  if (registry.has(name)) throw new Error(`detector "${name}" is registered twice`);
  let params: number | undefined;
  registry.set(name, {
    name,
    family: 'detector',
    reference: 'torchvision',
    backbone,
    config,
    get params() {
      if (params === undefined) {
        const features = FEATURES[backbone];
        if (!features) throw new Error(`detector "${name}": backbone "${backbone}" is missing from backbone-features.ts (run packages/heads/tools/backbone-features.mjs)`);
        params = rcnnParamCount(config(), features);
      }
      return params;
    },
  });
}

// v1 presets: torchvision's fine-tuning defaults for a pretrained backbone (FrozenBatchNorm,
// trainable_backbone_layers 3 = stem and layer1 frozen).
for (const { name: b } of listModels()) {
  for (const type of ['faster_rcnn', 'mask_rcnn'] as const) {
    const prefix = type === 'faster_rcnn' ? 'fasterrcnn' : 'maskrcnn';
    register(`${prefix}_${b}_fpn`, b, () => torchvisionRcnnDefaults(type, b, { norm: 'frozen_bn', frozenStages: 1 }));
  }
}
register('fasterrcnn_resnet50_fpn_v2', 'resnet50', () => torchvisionRcnnV2Defaults('faster_rcnn', 'resnet50'));
register('maskrcnn_resnet50_fpn_v2', 'resnet50', () => torchvisionRcnnV2Defaults('mask_rcnn', 'resnet50'));

export function listDetectors(): DetectorEntry[] {
  return [...registry.values()];
}

export function hasDetector(name: string): boolean {
  return registry.has(name);
}

export function getDetectorEntry(name: string): DetectorEntry {
  const entry = registry.get(name);
  if (!entry) {
    const near = [...registry.keys()].filter((k) => k.includes(name) || name.includes(k.replace(/_fpn(_v2)?$/, ''))).slice(0, 5);
    throw new Error(`unknown detector "${name}"${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}; \`tfvision model list --family detector\` shows all ${registry.size}`);
  }
  return entry;
}

/**
 * Builds a registered detector, with `overrides` merged into its preset config (unknown keys are
 * an error naming the path): `createDetector('maskrcnn_resnest50d_fpn', { numClasses: 81,
 * roiHeads: { scoreThresh: 0.3 } })`.
 */
export function createDetector(name: string, overrides: ConfigOverrides<RcnnConfig> = {}): GeneralizedRcnn {
  const entry = getDetectorEntry(name);
  return new GeneralizedRcnn(overrideConfig(entry.config(), overrides, `createDetector("${name}")`, ['backbone.options']));
}

/** The preset config of a registered detector with overrides merged (what createDetector builds). */
export function detectorConfig(name: string, overrides: ConfigOverrides<RcnnConfig> = {}): RcnnConfig {
  return overrideConfig(getDetectorEntry(name).config(), overrides, `detectorConfig("${name}")`, ['backbone.options']);
}
