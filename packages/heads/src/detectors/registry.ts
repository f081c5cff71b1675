import { listModels } from '@tfvision/backbones';
import { torchvisionRcnnDefaults, torchvisionRcnnV2Defaults, type RcnnConfig } from './rcnn-config.js';
import { rcnnParamCount } from './rcnn-params.js';
import { GeneralizedRcnn } from './generalized-rcnn.js';
import { overrideConfig, type ConfigOverrides } from './override-config.js';
import { BACKBONE_FEATURES as FEATURES } from './backbone-features.js';
import { detectron2CascadeDefaults, type CascadeRcnnConfig } from './cascade-config.js';
import { cascadeParamCount } from './cascade-params.js';
import { CascadeRcnn, type CascadeRcnnOptions } from './cascade-rcnn.js';

/**
 * The registry of detectors (and, later, segmenters): torchvision-style names over every
 * backbone of the zoo, each entry a preset config plus metadata, as timm registers backbones.
 * `fasterrcnn_resnet50_fpn` is the B = resnet50 case of `fasterrcnn_B_fpn` and equals
 * torchvision's; for other backbones `backbone.body.*` holds the backbone's own (timm) names.
 * `cascade_rcnn_B_fpn` / `cascade_mask_rcnn_B_fpn` follow detectron2 (reference 'detectron2',
 * a CascadeRcnnConfig, built by createCascadeDetector).
 */
interface DetectorEntryBase {
  name: string;
  family: 'detector';
  backbone: string;
  /** All weights (frozen or not, no running statistics), from the config. */
  readonly params: number;
}

/** A torchvision-semantics preset (Faster / Mask R-CNN): createDetector builds it. */
export interface TorchvisionDetectorEntry extends DetectorEntryBase {
  /** The implementation whose semantics and checkpoint layout the preset follows. */
  reference: 'torchvision';
  config(): RcnnConfig;
}

/** A detectron2-semantics preset (Cascade / Cascade Mask R-CNN): createCascadeDetector builds it. */
export interface Detectron2DetectorEntry extends DetectorEntryBase {
  reference: 'detectron2';
  config(): CascadeRcnnConfig;
}

export type DetectorEntry = TorchvisionDetectorEntry | Detectron2DetectorEntry;

const registry = new Map<string, DetectorEntry>();

function lazyParams<C>(name: string, backbone: string, config: () => C, count: (c: C, f: { params: number; channels: Record<string, number> }) => number): () => number {
  let params: number | undefined;
  return () => {
    if (params === undefined) {
      const features = FEATURES[backbone];
      if (!features) throw new Error(`detector "${name}": backbone "${backbone}" is missing from backbone-features.ts (run packages/heads/tools/backbone-features.mjs)`);
      params = count(config(), features);
    }
    return params;
  };
}

function register(name: string, backbone: string, config: () => RcnnConfig): void {
  if (registry.has(name)) throw new Error(`detector "${name}" is registered twice`);
  const params = lazyParams(name, backbone, config, rcnnParamCount);
  registry.set(name, {
    name,
    family: 'detector',
    reference: 'torchvision',
    backbone,
    config,
    get params() {
      return params();
    },
  });
}

function registerDetectron2(name: string, backbone: string, config: () => CascadeRcnnConfig): void {
  if (registry.has(name)) throw new Error(`detector "${name}" is registered twice`);
  const params = lazyParams(name, backbone, config, cascadeParamCount);
  registry.set(name, {
    name,
    family: 'detector',
    reference: 'detectron2',
    backbone,
    config,
    get params() {
      return params();
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

// detectron2's Misc/cascade_mask_rcnn_R_50_FPN_1x (and its box-only form) over every backbone:
// FrozenBN, FREEZE_AT 2, RGB with torchvision's mean/std x 255 (cascade-config.ts).
for (const { name: b } of listModels()) {
  registerDetectron2(`cascade_rcnn_${b}_fpn`, b, () => detectron2CascadeDefaults('cascade_rcnn', b));
  registerDetectron2(`cascade_mask_rcnn_${b}_fpn`, b, () => detectron2CascadeDefaults('cascade_mask_rcnn', b));
}

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
  const entry = torchvisionEntry(name, 'createDetector');
  return new GeneralizedRcnn(overrideConfig(entry.config(), overrides, `createDetector("${name}")`, ['backbone.options']));
}

/** The preset config of a registered detector with overrides merged (what createDetector builds). */
export function detectorConfig(name: string, overrides: ConfigOverrides<RcnnConfig> = {}): RcnnConfig {
  return overrideConfig(torchvisionEntry(name, 'detectorConfig').config(), overrides, `detectorConfig("${name}")`, ['backbone.options']);
}

function torchvisionEntry(name: string, caller: string): TorchvisionDetectorEntry {
  const entry = getDetectorEntry(name);
  if (entry.reference !== 'torchvision') throw new Error(`${caller}: "${name}" is a detectron2 preset; build it with createCascadeDetector (or buildDetector)`);
  return entry;
}

function detectron2Entry(name: string, caller: string): Detectron2DetectorEntry {
  const entry = getDetectorEntry(name);
  if (entry.reference !== 'detectron2') throw new Error(`${caller}: "${name}" is a torchvision preset; build it with createDetector (or buildDetector)`);
  return entry;
}

/**
 * Builds a registered Cascade (Mask) R-CNN with `overrides` merged into its preset:
 * `createCascadeDetector('cascade_mask_rcnn_resnest50d_fpn', { roiHeads: { scoreThresh: 0.3 } })`.
 */
export function createCascadeDetector(name: string, overrides: ConfigOverrides<CascadeRcnnConfig> = {}, options: CascadeRcnnOptions = {}): CascadeRcnn {
  return new CascadeRcnn(cascadeDetectorConfig(name, overrides), options);
}

/** The preset config of a registered Cascade (Mask) R-CNN with overrides merged. */
export function cascadeDetectorConfig(name: string, overrides: ConfigOverrides<CascadeRcnnConfig> = {}): CascadeRcnnConfig {
  return overrideConfig(detectron2Entry(name, 'cascadeDetectorConfig').config(), overrides, `cascadeDetectorConfig("${name}")`, ['backbone.options']);
}

/** Any registered detector by name, whatever its reference (what the CLI builds). */
export function buildDetector(name: string): GeneralizedRcnn | CascadeRcnn {
  const entry = getDetectorEntry(name);
  return entry.reference === 'torchvision' ? new GeneralizedRcnn(entry.config()) : new CascadeRcnn(entry.config());
}
