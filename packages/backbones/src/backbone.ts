import * as tf from '@tensorflow/tfjs-core';
import { Layer, type Sequential } from '@tfvision/nn';

/**
 * The feature levels every backbone declares (detectron2's res2..res5 and timm's feature_info,
 * under one set of names): `cN` is the Nth feature point, at stride 2^N unless `outputStride`
 * dilates it or a small-image stem (stride 1, no pool) changes it; `featureInfo` says the real one.
 */
export const FEATURE_LEVELS = ['c1', 'c2', 'c3', 'c4', 'c5'] as const;
export type FeatureLevel = (typeof FEATURE_LEVELS)[number];

/** One feature map a backbone can output for a neck (detectron2's ShapeSpec, timm's feature_info). */
export interface FeatureInfo {
  /** Level name, the same for every family: "c1".."c5". */
  level: FeatureLevel;
  /** Module path that produces it, e.g. "layer2" or "blocks.3" (checkpoint prefixes use it). */
  name: string;
  channels: number;
  /** Total stride relative to the input. */
  stride: number;
}

/** Feature maps by level name, as forwardFeatures returns them. */
export type FeatureMaps<L extends FeatureLevel = FeatureLevel> = Record<L, tf.Tensor4D>;

/** Per-variant metadata next to the code (timm's pretrained_cfg). */
export interface PretrainedCfg {
  /** [channels, height, width] as timm writes it. */
  inputSize: [number, number, number];
  cropPct: number;
  interpolation: 'bilinear' | 'bicubic';
  mean: [number, number, number];
  std: [number, number, number];
  /** Parameter-name prefix of the first conv (for in-channel adaptation). */
  firstConv: string;
  /** Parameter-name prefix of the classifier. */
  classifier: string;
}

export const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];

/**
 * BatchNorm policy of a backbone: 'bn' trains BatchNorm (except inside frozen stages, which
 * always use frozen BN), 'frozen_bn' makes every BatchNorm a FrozenBN (running statistics and
 * fixed affine, detectron2's choice for small per-device batches). 'gn' exists for heads only.
 */
export type BackboneNorm = 'bn' | 'frozen_bn';

/**
 * Norm and freezing policy: the same keys at construction (BackboneOptions) and in
 * prepareFineTuning, as detectron2's MODEL.RESNETS.NORM and FREEZE_AT say it once.
 */
export interface FreezeOptions {
  /** Default 'bn'. */
  norm?: BackboneNorm;
  /**
   * Freeze the stem and the first N stages, parameters and BatchNorm (mmdetection's
   * frozen_stages; detectron2's FREEZE_AT = N + 1). -1 or absent freezes nothing, 0 the stem.
   */
  frozenStages?: number;
  /** Freeze everything but the classifier, BatchNorm included (linear probing). */
  linearProbe?: boolean;
}

export const FREEZE_OPTION_KEYS: readonly (keyof FreezeOptions)[] = ['norm', 'frozenStages', 'linearProbe'];

/** Options every backbone accepts; unknown keys are an error naming the key. */
export interface BackboneOptions extends FreezeOptions {
  /** Classifier outputs; 0 removes the classifier (a feature extractor). Default 1000. */
  numClasses?: number;
  /**
   * Only the modules the feature levels c1..c5 need, as timm's features_only (what FPN and
   * DeepLab bodies are): no classifier, and EfficientNet drops its head conv (conv_head, bn2),
   * which no level uses, so checkpoints of timm feature extractors load strictly. `forward` and
   * `forwardPooled` are then unavailable. Default false.
   */
  featuresOnly?: boolean;
  /** Input channels. Default 3. */
  inChans?: number;
  /** Total stride of the last feature map: 32 (default), 16 or 8 via dilation (DeepLab). */
  outputStride?: 8 | 16 | 32;
  /** Dropout before the classifier. */
  dropRate?: number;
  /** Stochastic depth, rising linearly with block index to this value. */
  dropPathRate?: number;
  /** DropBlock drop probability (stages 3 and 4, ResNeSt recipe); settable later. */
  dropBlockRate?: number;
  /** Zero-init the last BN gamma of each residual block. Default true, as timm. */
  zeroInitLastBn?: boolean;
  /**
   * Recompute each block's activations in the backward pass instead of keeping them (timm's
   * set_grad_checkpointing): about 1/3 more compute for a fraction of the training memory.
   */
  gradCheckpointing?: boolean;
  /**
   * ResNet family, plain bottleneck blocks only: put each downsampling block's stride on its
   * first 1x1 conv instead of the 3x3 (Caffe's / MSRA's ResNet, detectron2's
   * MODEL.RESNETS.STRIDE_IN_1X1 = True, which its R-50/R-101 model-zoo checkpoints need).
   * Same parameters and shapes, different function. Default false (torchvision / timm).
   */
  strideIn1x1?: boolean;
}

export const BACKBONE_OPTION_KEYS: readonly (keyof BackboneOptions)[] = [
  'numClasses', 'featuresOnly', 'inChans', 'outputStride', 'dropRate', 'dropPathRate', 'dropBlockRate', ...FREEZE_OPTION_KEYS, 'zeroInitLastBn', 'gradCheckpointing', 'strideIn1x1',
];

/** Option names that were replaced, with what to write instead (an error, not a silent alias). */
export const REPLACED_OPTIONS: Readonly<Record<string, string>> = {
  frozenBn: 'norm: "frozen_bn" (was frozenBn: true or \'all\') or norm: "bn" (the default; frozen stages always use frozen BN)',
  outIndices: 'the level names given to forwardFeatures(x, ["c2", "c3", "c4", "c5"]) (index i was level c<i+1>)',
};

/** Throws on option keys a builder does not know, naming the key (and the replacement of an old one). */
export function checkOptionKeys(where: string, options: object, known: readonly string[] = BACKBONE_OPTION_KEYS): void {
  for (const key of Object.keys(options)) {
    if (key in REPLACED_OPTIONS) throw new Error(`${where}: option "${key}" was replaced by ${REPLACED_OPTIONS[key]}`);
    if (!known.includes(key)) throw new Error(`${where}: unknown option "${key}" (known: ${known.join(', ')})`);
  }
}

/**
 * A classification network that is also a multi-scale feature extractor. `forward` gives
 * logits [N, numClasses]; `forwardFeatures(x, levels)` gives the maps of the named levels,
 * whose channels and strides `featureInfo` declares, so a neck is built from metadata alone
 * and a backbone swap under it is a config edit.
 */
export abstract class Backbone extends Layer<tf.Tensor4D, tf.Tensor2D> {
  /** Every level this backbone has, shallowest first. */
  abstract readonly featureInfo: FeatureInfo[];
  abstract readonly pretrainedCfg: PretrainedCfg;
  abstract readonly numClasses: number;
  /** Channels of the pooled features the classifier takes (timm's num_features). */
  abstract readonly numFeatures: number;
  /** The stages (after the stem) that frozenStages and gradient checkpointing count. */
  abstract readonly stages: Sequential[];

  /** Logits from the input; a backbone built with numClasses 0 throws. */
  abstract override forward(x: tf.Tensor4D): tf.Tensor2D;

  /** Freezes the stem and the first `n` stages, parameters and BatchNorm; -1 freezes nothing. */
  abstract freezeStages(n: number): void;

  /**
   * The maps of featureInfo entries `indices` (ascending, no repeats), in that order; runs the
   * network no deeper than the last of them.
   */
  protected abstract computeFeatures(x: tf.Tensor4D, indices: readonly number[]): tf.Tensor4D[];

  /** The featureInfo entries of `levels` (default every level), in the order asked. */
  featureInfoFor(levels: readonly FeatureLevel[] = this.featureInfo.map((f) => f.level)): FeatureInfo[] {
    return this.resolveLevels(levels, `${this.constructor.name}.featureInfoFor`);
  }

  private resolveLevels(levels: readonly FeatureLevel[], where: string): FeatureInfo[] {
    if (levels.length === 0) throw new Error(`${where}: levels is empty; name at least one of ${this.levelList()}`);
    return levels.map((level) => {
      const info = this.featureInfo.find((f) => f.level === level);
      if (!info) throw new Error(`${where}: unknown level "${String(level)}" (this backbone has ${this.levelList()})`);
      return info;
    });
  }

  /** Feature maps of `levels` (default every level) by name; nothing deeper than the deepest is computed. */
  forwardFeatures<L extends FeatureLevel = FeatureLevel>(x: tf.Tensor4D, levels?: readonly L[]): FeatureMaps<L> {
    const infos = this.resolveLevels(levels ?? this.featureInfo.map((f) => f.level), `${this.constructor.name}.forwardFeatures`);
    const indices = [...new Set(infos.map((f) => this.featureInfo.indexOf(f)))].sort((a, b) => a - b);
    return tf.tidy(() => {
      const maps = this.computeFeatures(x, indices);
      const out = {} as FeatureMaps<L>;
      for (const info of infos) out[info.level as L] = maps[indices.indexOf(this.featureInfo.indexOf(info))];
      return out;
    });
  }

  /** The one-line error `forward` throws on a feature extractor. */
  protected noClassifierError(): Error {
    return new Error(`${this.constructor.name}.forward: a backbone built with numClasses 0 has no classifier (it is a feature extractor); use forwardFeatures(x, levels) or forwardPooled(x)`);
  }

  private levelList(): string {
    return this.featureInfo.map((f) => f.level).join(', ');
  }

  /** Gradient checkpointing per block (see BackboneOptions.gradCheckpointing). */
  setGradCheckpointing(enable = true): this {
    for (const s of this.stages) s.checkpointLayers = enable;
    return this;
  }

  get gradCheckpointing(): boolean {
    return this.stages.length > 0 && this.stages.every((s) => s.checkpointLayers);
  }

  /** Sets the DropBlock probability (the trainer ramps it over training). */
  setDropBlockRate(_p: number): void {
    // Families without DropBlock ignore it.
  }
}

/** Level name of the i-th feature point. */
export function featureLevel(i: number): FeatureLevel {
  const level = FEATURE_LEVELS[i];
  if (!level) throw new Error(`featureLevel: index ${i} is out of range 0..${FEATURE_LEVELS.length - 1}`);
  return level;
}
