import type * as tf from '@tensorflow/tfjs-core';
import { Layer, type Sequential } from '@tfvision/nn';

/** One feature map a backbone can output for a neck (detectron2's ShapeSpec, timm's feature_info). */
export interface FeatureInfo {
  /** Module path that produces it, e.g. "layer2" or "blocks.3". */
  name: string;
  channels: number;
  /** Total stride relative to the input. */
  stride: number;
}

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

/** Options every backbone accepts; unknown keys are an error naming the key. */
export interface BackboneOptions {
  /** Classifier outputs; 0 removes the classifier (features only). Default 1000. */
  numClasses?: number;
  /** Input channels. Default 3. */
  inChans?: number;
  /** Stages returned by forwardFeatures, indices into featureInfo. Default: all. */
  outIndices?: number[];
  /** Total stride of the last feature map: 32 (default), 16 or 8 via dilation (DeepLab). */
  outputStride?: 8 | 16 | 32;
  /** Dropout before the classifier. */
  dropRate?: number;
  /** Stochastic depth, rising linearly with block index to this value. */
  dropPathRate?: number;
  /** DropBlock drop probability (stages 3 and 4, ResNeSt recipe); settable later. */
  dropBlockRate?: number;
  /** Freeze the stem and the first N stages (detectron2 freeze_at). */
  frozenStages?: number;
  /** Replace every BatchNorm by frozen BN (running statistics, no training). */
  frozenBn?: boolean;
  /** Zero-init the last BN gamma of each residual block. Default true, as timm. */
  zeroInitLastBn?: boolean;
  /**
   * Recompute each block's activations in the backward pass instead of keeping them (timm's
   * set_grad_checkpointing): about 1/3 more compute for a fraction of the training memory.
   */
  gradCheckpointing?: boolean;
}

export const BACKBONE_OPTION_KEYS: readonly (keyof BackboneOptions)[] = [
  'numClasses', 'inChans', 'outIndices', 'outputStride', 'dropRate', 'dropPathRate', 'dropBlockRate', 'frozenStages', 'frozenBn', 'zeroInitLastBn', 'gradCheckpointing',
];

/**
 * A classification network that is also a multi-scale feature extractor. `forward` gives
 * logits [N, numClasses]; `forwardFeatures` gives the maps selected by `outIndices`, whose
 * channels and strides `featureInfo` declares, so a neck is built from metadata alone.
 */
export abstract class Backbone extends Layer<tf.Tensor4D, tf.Tensor2D> {
  abstract readonly featureInfo: FeatureInfo[];
  abstract readonly pretrainedCfg: PretrainedCfg;
  abstract readonly numClasses: number;
  /** Channels of the pooled features the classifier takes (timm's num_features). */
  abstract readonly numFeatures: number;
  /** Indices into featureInfo returned by forwardFeatures. */
  abstract readonly outIndices: number[];

  /** Feature maps for `outIndices`, in order. */
  abstract forwardFeatures(x: tf.Tensor4D): tf.Tensor4D[];

  /** Logits from the input. */
  abstract override forward(x: tf.Tensor4D): tf.Tensor2D;

  /** The selected feature outputs' metadata. */
  selectedFeatureInfo(): FeatureInfo[] {
    return this.outIndices.map((i) => this.featureInfo[i]);
  }

  /** Channels of each map forwardFeatures returns (what a neck is built from). */
  get featureChannels(): number[] {
    return this.selectedFeatureInfo().map((f) => f.channels);
  }

  /** Total stride of each map forwardFeatures returns. */
  get featureStrides(): number[] {
    return this.selectedFeatureInfo().map((f) => f.stride);
  }

  /** The stages whose blocks gradient checkpointing wraps one by one. */
  abstract readonly stages: Sequential[];

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

/** Throws on option keys a builder does not know, naming the key and the model. */
export function checkOptionKeys(model: string, options: object, extra: readonly string[] = []): void {
  const known = new Set<string>([...BACKBONE_OPTION_KEYS, ...extra]);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new Error(`createBackbone("${model}"): unknown option "${key}" (known: ${[...known].join(', ')})`);
  }
}
