import { createBackbone, getModelEntry, ResNet, RESNET_VARIANTS, type Backbone, type BackboneOptions } from '@tfvision/backbones';
import { setInitSeed } from '@tfvision/nn';
import { DataLoader, buildDataset, sourceWorkerFactory, type ClassificationDataset, type DatasetSpec, type SourceSpec, type TransformStep } from '../data/index.js';
import { buildTransform } from '../data/index.js';
import { configHash, type TrainConfig } from '../config/index.js';
import { scaledLearningRate } from '../optim/index.js';
import { ClassificationTrainer, type TrainerOptions } from './trainer.js';

/** Builds the backbone a config names, with the recipe's regularisation options. */
export function buildModel(c: TrainConfig, numClasses: number, inChans: number): Backbone {
  const options: BackboneOptions = {
    numClasses,
    inChans,
    ...c.model.options,
    dropRate: c.regularisation.dropRate,
    zeroInitLastBn: c.regularisation.zeroInitLastBn,
    // Created at rate 0 so the trainer can ramp it; undefined builds no DropBlock layers at all.
    ...(c.regularisation.dropBlock > 0 ? { dropBlockRate: 0 } : {}),
  };
  setInitSeed(c.seed);
  if (c.model.args) {
    const variant = RESNET_VARIANTS[c.model.name];
    if (!variant) throw new Error(`model.args: only ResNet-family variants take args overrides; "${c.model.name}" is not one`);
    return new ResNet({ ...variant.args, ...c.model.args }, options, getModelEntry(c.model.name).defaultCfg);
  }
  return createBackbone(c.model.name, options);
}

function datasetSpecs(c: TrainConfig): { train: DatasetSpec; eval: DatasetSpec } {
  if (c.data.kind === 'fashion-mnist') {
    return {
      train: { kind: 'fashion-mnist', dir: c.data.root, split: 'train', limit: c.data.trainLimit },
      eval: { kind: 'fashion-mnist', dir: c.data.root, split: 'test', limit: c.data.evalLimit },
    };
  }
  return {
    train: { kind: 'image-folder', root: `${c.data.root}/train`, limit: c.data.trainLimit },
    eval: { kind: 'image-folder', root: `${c.data.root}/val`, limit: c.data.evalLimit },
  };
}

/** The recipe's training augmentation as serialisable steps (order as the ResNeSt code applies them). */
export function trainTransformSteps(c: TrainConfig, interpolation: 'bilinear' | 'bicubic'): TransformStep[] {
  const a = c.augment;
  const size = c.data.inputSize;
  const steps: TransformStep[] = [];
  if (a.randomResizedCrop) steps.push({ op: 'randomResizedCrop', size, scale: a.randomResizedCrop.scale, ratio: a.randomResizedCrop.ratio, interpolation });
  if (a.randomCropPadding > 0) steps.push({ op: 'randomCrop', size, padding: a.randomCropPadding });
  if (a.flip) steps.push({ op: 'randomHorizontalFlip', p: 0.5 });
  if (a.autoAugment) steps.push({ op: 'autoAugment', policy: a.autoAugment });
  if (a.randAugment) steps.push({ op: 'randAugment', numOps: a.randAugment.numOps, magnitude: a.randAugment.magnitude });
  if (a.colorJitter) steps.push({ op: 'colorJitter', ...a.colorJitter });
  if (a.lighting > 0) steps.push({ op: 'lighting', alphaStd: a.lighting });
  return steps;
}

export function evalTransformSteps(c: TrainConfig, cropPct: number, interpolation: 'bilinear' | 'bicubic'): TransformStep[] {
  // Small images (Fashion-MNIST) are evaluated as they are; ImageNet: resize short side + centre crop.
  if (c.data.kind === 'fashion-mnist' && c.data.evalCropPct === undefined) return [];
  return [{ op: 'resizeShortCenterCrop', crop: c.data.inputSize, cropPct: c.data.evalCropPct ?? cropPct, interpolation }];
}

export interface BuiltRun {
  trainer: ClassificationTrainer;
  model: Backbone;
  trainSet: ClassificationDataset;
  evalSet: ClassificationDataset;
  effectiveBatch: number;
  lr: number;
  close(): Promise<void>;
}

export interface BuildRunOptions {
  outDir: string;
  resume?: boolean;
  totalSteps?: number;
  stopAfterStep?: number;
  progress?: TrainerOptions['progress'];
  plot?: boolean;
}

/** Datasets, loaders, model and trainer for a config: what `tfvision train cls` runs. */
export function buildRun(c: TrainConfig, o: BuildRunOptions): BuiltRun {
  const specs = datasetSpecs(c);
  const trainSet = buildDataset(specs.train);
  const evalSet = buildDataset(specs.eval);
  const numClasses = trainSet.classes.length;
  const probe = getModelEntry(c.model.name).defaultCfg;
  const inChans = c.data.kind === 'fashion-mnist' ? 1 : 3;
  const mean = c.data.mean ?? (inChans === 1 ? [0.5] : [...probe.mean]);
  const std = c.data.std ?? (inChans === 1 ? [0.5] : [...probe.std]);
  if (mean.length !== inChans) throw new Error(`data.mean: ${mean.length} values for ${inChans}-channel images`);
  const model = buildModel(c, numClasses, inChans);
  const cfg = model.pretrainedCfg;
  const loader = (spec: DatasetSpec, steps: TransformStep[], train: boolean, ds: ClassificationDataset) => {
    const source: SourceSpec = { dataset: spec, transform: steps };
    return new DataLoader(ds, {
      batchSize: c.optim.batchSize,
      shuffle: train,
      dropLast: train,
      seed: c.seed,
      transform: buildTransform(steps),
      mean,
      std,
      workers: c.data.workers,
      prefetch: c.data.prefetch,
      workerFactory: c.data.workers > 0 ? sourceWorkerFactory(source) : undefined,
    });
  };
  const trainLoader = loader(specs.train, trainTransformSteps(c, cfg.interpolation), true, trainSet);
  const evalLoader = loader(specs.eval, evalTransformSteps(c, cfg.cropPct, cfg.interpolation), false, evalSet);
  const effectiveBatch = c.optim.batchSize * c.optim.accumulate;
  const lr = scaledLearningRate(c.optim.lr, effectiveBatch);
  const stepsPerEpoch = Math.floor(trainLoader.batchesPerEpoch() / c.optim.accumulate);
  const trainer = new ClassificationTrainer({
    model,
    train: trainLoader,
    eval: evalLoader,
    numClasses,
    epochs: c.schedule.epochs,
    totalSteps: o.totalSteps,
    accumulate: c.optim.accumulate,
    lr,
    schedule: { kind: c.schedule.kind, warmupEpochs: c.schedule.warmupEpochs, milestonesEpochs: c.schedule.milestones, gamma: c.schedule.gamma },
    momentum: c.optim.momentum,
    nesterov: c.optim.nesterov,
    weightDecay: c.optim.weightDecay,
    labelSmoothing: c.augment.labelSmoothing,
    mixupAlpha: c.augment.mixupAlpha,
    dropBlock: c.regularisation.dropBlock,
    evalEverySteps: c.eval.everySteps ?? (c.eval.everyEpochs ?? 1) * stepsPerEpoch,
    checkpointEverySteps: c.checkpoint.everySteps,
    keepCheckpoints: c.checkpoint.keep,
    logEverySteps: c.log.everySteps,
    outDir: o.outDir,
    seed: c.seed,
    dataSeed: c.seed,
    configHash: configHash(c),
    resume: o.resume,
    stopAfterStep: o.stopAfterStep,
    progress: o.progress,
    plot: o.plot,
  });
  return {
    trainer,
    model,
    trainSet,
    evalSet,
    effectiveBatch,
    lr,
    async close() {
      await trainLoader.close();
      await evalLoader.close();
      trainer.dispose();
      model.dispose();
    },
  };
}
