/**
 * From a validated detection config to a ready DetectionTrainer: generates the synthetic data
 * when the config asks for it and it is missing, opens the training and evaluation sets, builds
 * the detector with numClasses = K + 1 and per-step sampler streams, and wires the recipe's
 * optimiser and schedule.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateSyntheticCoco } from '@tfvision/coco';
import { GeneralizedRcnn, type RcnnConfig } from '@tfvision/heads';
import { withMathRandom } from '@tfvision/nn';
import { Rng } from '../rng.js';
import { detectionConfigHash, detectionModelConfig, presetName, type DetectionTrainConfig } from './detection-config.js';
import { baseLearningRate } from './detection-lr.js';
import { checkSameCategories, DetectionEvalSet, DetectionTrainSet, type DetectionSplit } from './detection-data.js';
import { DetectionLoader } from './detection-loader.js';
import { DetectionTrainer, type DetectionTrainerOptions } from './detection-trainer.js';
import { StepRandperm } from './step-randperm.js';

export interface DetectionRunOptions {
  outDir: string;
  resume?: boolean;
  /** Overrides schedule.iterations (milestones beyond it are dropped). */
  totalSteps?: number;
  progress?: DetectionTrainerOptions['progress'];
  onEval?: DetectionTrainerOptions['onEval'];
  /** Where the config's relative data paths start. Default: the working directory. */
  cwd?: string;
}

export interface DetectionRun {
  trainer: DetectionTrainer;
  model: GeneralizedRcnn;
  trainSet: DetectionTrainSet;
  evalSet: DetectionEvalSet;
  modelName: string;
  baseLr: number;
  close(): void;
}

/**
 * Builds the detector with its random initialisation drawn from `seed` (tfjs seeds unseeded
 * initialisers from Math.random), so two runs of one config start from the same weights.
 */
export function buildSeeded(config: RcnnConfig, randperm: StepRandperm, seed: number): GeneralizedRcnn {
  const rng = new Rng(seed).fork(0xc0ffee);
  return withMathRandom(() => rng.next(), () => new GeneralizedRcnn(config, { randperm: randperm.source }));
}

export function splitPaths(c: DetectionTrainConfig, which: 'train' | 'val', cwd = process.cwd()): DetectionSplit {
  const root = resolve(cwd, c.data.root);
  return { annotations: resolve(root, c.data[which].annotations), images: resolve(root, c.data[which].images) };
}

/** Writes the config's synthetic train/val sets under data.root unless their annotations exist. */
export async function ensureSynthData(c: DetectionTrainConfig, cwd = process.cwd()): Promise<boolean> {
  const s = c.data.synth;
  if (!s) return false;
  let made = false;
  for (const which of ['train', 'val'] as const) {
    const split = splitPaths(c, which, cwd);
    if (existsSync(split.annotations)) continue;
    const outDir = resolve(split.annotations, '..');
    if (resolve(split.images) !== join(outDir, 'images')) throw new Error(`data.synth: data.${which}.images must be the "images" folder beside data.${which}.annotations, got ${split.images}`);
    await generateSyntheticCoco({ outDir, images: s[which].images, seed: s[which].seed, size: s.size, colors: s.colors, maxOcclusion: s.maxOcclusion });
    made = true;
  }
  return made;
}

export async function buildDetectionRun(c: DetectionTrainConfig, o: DetectionRunOptions): Promise<DetectionRun> {
  const cwd = o.cwd ?? process.cwd();
  await ensureSynthData(c, cwd);
  const withMasks = c.model.type === 'mask_rcnn';
  const trainSet = await DetectionTrainSet.open(splitPaths(c, 'train', cwd), { masks: withMasks });
  const evalSet = await DetectionEvalSet.open(splitPaths(c, 'val', cwd));
  checkSameCategories(trainSet.labels, evalSet.dataset.labels);
  const randperm = new StepRandperm(c.seed);
  const rcnn = detectionModelConfig(c, trainSet.labels.numClasses + 1);
  const model = buildSeeded(rcnn, randperm, c.seed);
  const totalSteps = o.totalSteps ?? c.schedule.iterations;
  const loader = new DetectionLoader(trainSet, { batchSize: c.optimizer.batchSize, seed: c.seed, flipProb: c.data.flipProb, prefetch: c.data.prefetch });
  const trainer = new DetectionTrainer({
    model,
    randperm,
    loader,
    labels: trainSet.labels,
    evalSet,
    totalSteps,
    lr: { lrPer16: c.optimizer.lr, warmupIters: Math.min(c.schedule.warmupIters, totalSteps), warmupFactor: c.schedule.warmupFactor, milestones: c.schedule.milestones.filter((m) => m <= totalSteps), gamma: c.schedule.gamma },
    momentum: c.optimizer.momentum,
    decay: { weightDecay: c.optimizer.weightDecay, weightDecayNorm: c.optimizer.weightDecayNorm, weightDecayBias: c.optimizer.weightDecayBias },
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
  });
  return {
    trainer,
    model,
    trainSet,
    evalSet,
    modelName: presetName(c),
    baseLr: baseLearningRate({ lrPer16: c.optimizer.lr, batchSize: c.optimizer.batchSize }),
    close() {
      trainer.dispose();
      model.dispose();
    },
  };
}
