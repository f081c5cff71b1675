import type { BackboneOptions, ResNetArgs } from '@tfvision/backbones';
import type { ScheduleKind } from '../schedule/index.js';

/** Which dataset reader feeds the run. */
export type DataKind = 'imagenet-folder' | 'fashion-mnist';

export interface ModelConfig {
  /** Registered backbone name (`tfvision model list`). */
  name: string;
  /** Backbone options (numClasses and inChans come from the data unless given). */
  options: BackboneOptions;
  /** ResNet-family only: overrides of the variant's arguments (narrow channels, stem stride...). */
  args?: Partial<ResNetArgs>;
}

export interface DataConfig {
  kind: DataKind;
  /** Dataset directory (ImageNet: holds train/ and val/; Fashion-MNIST: the IDX files). */
  root: string;
  /** Training and evaluation image side in pixels. */
  inputSize: number;
  /** Evaluation: resize the short side to inputSize / evalCropPct, then centre-crop (ImageNet). */
  evalCropPct?: number;
  /** Per-channel normalisation; defaults to the model's pretrained cfg (ImageNet) or 0.5/0.5 (1 channel). */
  mean?: number[];
  std?: number[];
  /** Decode/augment worker threads (0 = in-process). */
  workers: number;
  /** Batches prepared ahead of the trainer. */
  prefetch: number;
  /** Use only the first N training / evaluation samples (smoke tests, quick runs). */
  trainLimit?: number;
  evalLimit?: number;
}

export interface AugmentConfig {
  /** RandomResizedCrop scale and ratio ranges (ImageNet); false turns it off. */
  randomResizedCrop: false | { scale: [number, number]; ratio: [number, number] };
  /** Random crop after zero padding by this many pixels (small images); 0 turns it off. */
  randomCropPadding: number;
  flip: boolean;
  colorJitter: false | { brightness: number; contrast: number; saturation: number; hue?: number };
  /** AlexNet PCA lighting noise standard deviation; 0 turns it off. */
  lighting: number;
  autoAugment: false | 'imagenet';
  randAugment: false | { numOps: number; magnitude: number };
  /** Beta(alpha, alpha) mixup of each batch with its reverse; 0 turns it off. */
  mixupAlpha: number;
  labelSmoothing: number;
}

export interface OptimConfig {
  /** Learning rate per 256 images of effective batch (linear scaling rule). */
  lr: number;
  momentum: number;
  nesterov: boolean;
  /** Applied to conv and linear weights only. */
  weightDecay: number;
  /** Images per micro-batch. */
  batchSize: number;
  /** Micro-batches per optimiser step (effective batch = batchSize x accumulate). */
  accumulate: number;
}

export interface ScheduleConfig {
  epochs: number;
  warmupEpochs: number;
  kind: ScheduleKind;
  /** step kind: epochs at which the rate is multiplied by gamma. */
  milestones?: number[];
  gamma?: number;
}

export interface RegularisationConfig {
  /** DropBlock target probability, ramped linearly from 0 over training; 0 = none. */
  dropBlock: number;
  /** Dropout before the classifier. */
  dropRate: number;
  zeroInitLastBn: boolean;
}

/** Exactly one of the two is set. */
export interface EvalConfig {
  everySteps?: number;
  everyEpochs?: number;
}

export interface CheckpointConfig {
  everySteps: number;
  /** Newest checkpoints kept on disk. */
  keep: number;
}

export interface LogConfig {
  /** A JSONL training record every N optimiser steps. */
  everySteps: number;
}

export interface TrainConfig {
  model: ModelConfig;
  data: DataConfig;
  augment: AugmentConfig;
  optim: OptimConfig;
  schedule: ScheduleConfig;
  regularisation: RegularisationConfig;
  eval: EvalConfig;
  checkpoint: CheckpointConfig;
  log: LogConfig;
  seed: number;
}
