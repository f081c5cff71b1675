/**
 * From a validated detection config to a ready DetectionTrainer: generates the synthetic data
 * when the config asks for it and it is missing, checks the data paths, opens the training and
 * evaluation sets, builds the detector (GeneralizedRcnn with numClasses = K + 1, or CascadeRcnn
 * with K) with per-step sampler and resize streams, loads the backbone's weights when the config
 * names a file, and wires the recipe's optimiser (with the config's per-name rules) and schedule.
 */
import { loadCheckpoint, type LoadCheckpointResult } from '@tfvision/backbones';
import type { CascadeRcnn, GeneralizedRcnn } from '@tfvision/heads';
import { checkDataPaths, ensureSynthData, splitPaths } from '../config/data-splits.js';
import { backboneWeightsPath } from '../config/backbone-weights.js';
import { configSource } from '../config/load.js';
import { ConfigError } from '../config/schema.js';
import { buildSeeded } from './build-detector.js';
import { detectionConfigHash, detectionModelConfig, presetName, type DetectionTrainConfig } from './detection-config.js';
import { baseLearningRate } from './detection-lr.js';
import { checkSameCategories, DetectionEvalSet, DetectionTrainSet } from './detection-data.js';
import { DetectionLoader } from './detection-loader.js';
import { DetectionTrainer, type DetectionTrainerOptions } from './detection-trainer.js';
import { StepRandomSources } from './step-resize-random.js';
import type { TrainableDetector } from './trainable-detector.js';

export interface DetectionRunOptions {
  outDir: string;
  resume?: boolean;
  /** Overrides schedule.iterations (milestones beyond it are dropped). */
  totalSteps?: number;
  progress?: DetectionTrainerOptions['progress'];
  onEval?: DetectionTrainerOptions['onEval'];
  /** Where the config's relative data paths start. Default: the working directory. */
  cwd?: string;
  /** Named in config errors. Default: the file the config was loaded from. */
  source?: string;
}

export interface DetectionRun {
  trainer: DetectionTrainer;
  model: TrainableDetector;
  trainSet: DetectionTrainSet;
  evalSet: DetectionEvalSet;
  modelName: string;
  baseLr: number;
  /** What model.backbone.weights loaded (absent without weights, or on resume, where the checkpoint holds them). */
  backboneWeights?: LoadCheckpointResult & { path: string };
  close(): void;
}

export { buildSeeded } from './build-detector.js';

/**
 * Loads model.backbone.weights into the detector's backbone body (strict: every body tensor
 * present with its shape; a classifier head in the file is dropped). Errors name the config
 * file and field.
 */
export function loadBackboneWeights(model: GeneralizedRcnn | CascadeRcnn, c: DetectionTrainConfig, source: string, cwd = process.cwd()): (LoadCheckpointResult & { path: string }) | undefined {
  const path = backboneWeightsPath(c, source, cwd);
  if (path === undefined) return undefined;
  try {
    return { ...loadCheckpoint(model.backbone.body, c.model.backbone.name, path, { source: path }), path };
  } catch (err) {
    throw new ConfigError(`${source}: model.backbone.weights: ${(err as Error).message}`);
  }
}

export async function buildDetectionRun(c: DetectionTrainConfig, o: DetectionRunOptions): Promise<DetectionRun> {
  const cwd = o.cwd ?? process.cwd();
  const source = o.source ?? configSource(c);
  const rules = c.optimizer.paramGroups ?? [];
  await ensureSynthData(c, cwd);
  checkDataPaths(c, source, cwd);
  const withMasks = c.model.type === 'mask_rcnn' || c.model.type === 'cascade_mask_rcnn';
  const trainSet = await DetectionTrainSet.open(splitPaths(c, 'train', cwd), { masks: withMasks });
  const evalSet = await DetectionEvalSet.open(splitPaths(c, 'val', cwd));
  checkSameCategories(trainSet.labels, evalSet.dataset.labels);
  const randperm = new StepRandomSources(c.seed);
  const modelConfig = detectionModelConfig(c, trainSet.labels.numClasses, source);
  const model = buildSeeded(modelConfig, randperm, c.seed);
  let backboneWeights: DetectionRun['backboneWeights'];
  try {
    if (!o.resume) backboneWeights = loadBackboneWeights(model, c, source, cwd);
  } catch (err) {
    model.dispose();
    throw err;
  }
  const totalSteps = o.totalSteps ?? c.schedule.iterations;
  const workers = c.data.workers ?? 0;
  const loader = new DetectionLoader(trainSet, {
    batchSize: c.optimizer.batchSize, seed: c.seed, flipProb: c.data.flipProb, prefetch: c.data.prefetch,
    workers, ...(workers > 0 ? { workerSource: { split: splitPaths(c, 'train', cwd), masks: withMasks } } : {}),
    ...(c.data.aspectRatioGrouping ? { aspectGroups: trainSet.aspectGroups() } : {}),
  });
  const options: DetectionTrainerOptions = {
    model,
    randperm,
    loader,
    labels: trainSet.labels,
    evalSet,
    totalSteps,
    lr: { lrPer16: c.optimizer.lr, warmupIters: Math.min(c.schedule.warmupIters, totalSteps), warmupFactor: c.schedule.warmupFactor, milestones: c.schedule.milestones.filter((m) => m <= totalSteps), gamma: c.schedule.gamma },
    momentum: c.optimizer.momentum,
    decay: { weightDecay: c.optimizer.weightDecay, weightDecayNorm: c.optimizer.weightDecayNorm, weightDecayBias: c.optimizer.weightDecayBias, paramGroups: rules, source },
    clipGradNorm: c.optimizer.clipGradNorm === false ? undefined : c.optimizer.clipGradNorm,
    outDir: o.outDir,
    resume: o.resume,
    configHash: detectionConfigHash(c),
    seed: c.seed,
    evalEverySteps: c.eval.everySteps === false ? undefined : c.eval.everySteps,
    evalLimit: c.eval.limit,
    checkpointEverySteps: c.checkpoint.everySteps,
    keepCheckpoints: c.checkpoint.keep,
    progress: o.progress,
    onEval: o.onEval,
  };
  let trainer: DetectionTrainer;
  try {
    trainer = new DetectionTrainer(options);
  } catch (err) {
    // A parameter rule that matches nothing is found here, once the model's names exist.
    model.dispose();
    throw err;
  }
  return {
    trainer,
    model,
    trainSet,
    evalSet,
    modelName: presetName(c),
    baseLr: baseLearningRate({ lrPer16: c.optimizer.lr, batchSize: c.optimizer.batchSize }),
    ...(backboneWeights ? { backboneWeights } : {}),
    close() {
      trainer.dispose();
      model.dispose();
      void loader.close();
    },
  };
}
