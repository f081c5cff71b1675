import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Backbone } from '@tfvision/backbones';
import { mixupBatch, sampleMixupLambda, smoothOneHot } from '../augment/index.js';
import type { Batch } from '../data/index.js';
import { softTargetCrossEntropy } from '../loss/index.js';
import { paramGroupsForModel, Sgd } from '../optim/index.js';
import { writeTrainingCurves } from '../plot/index.js';
import { Rng } from '../rng.js';
import { dropBlockRateAt, learningRateAt, type ScheduleKind } from '../schedule/index.js';
import type { BatchSource } from './batch-source.js';
import { latestCheckpoint, loadCheckpoint, saveCheckpoint, type TrainerState } from './checkpoint.js';
import { NonFiniteLossError } from './errors.js';
import { evaluateClassifier, type EvalResult } from './evaluate.js';
import { JsonlLog } from './jsonl-log.js';
import { ProgressLine } from './progress.js';
import { withSeededMathRandom } from './seeded-random.js';

export interface TrainerOptions {
  model: Backbone;
  train: BatchSource;
  /** Evaluation data (one pass per evaluation); none: no evaluation. */
  eval?: BatchSource;
  numClasses: number;
  /** Run length in epochs (fractions allowed); `totalSteps` overrides it. */
  epochs: number;
  totalSteps?: number;
  /** Micro-batches averaged into one optimiser step. */
  accumulate: number;
  /** Peak learning rate, already scaled for the effective batch. */
  lr: number;
  schedule: { kind: ScheduleKind; warmupEpochs: number; milestonesEpochs?: number[]; gamma?: number };
  momentum: number;
  nesterov: boolean;
  /** On conv and linear weights only. */
  weightDecay: number;
  labelSmoothing: number;
  mixupAlpha: number;
  /** DropBlock target, ramped from 0 over the run. */
  dropBlock: number;
  evalEverySteps?: number;
  checkpointEverySteps: number;
  keepCheckpoints: number;
  logEverySteps: number;
  outDir: string;
  seed: number;
  /** Data order seed recorded in checkpoints (the loaders must be built with it). */
  dataSeed: number;
  configHash: string;
  /** Continue from the newest checkpoint in outDir/checkpoints. */
  resume?: boolean;
  /** Stop (as if killed) once this many steps are done; the schedule still spans totalSteps. */
  stopAfterStep?: number;
  /** Progress output (default stderr) and plot (default true). */
  progress?: ProgressLine;
  plot?: boolean;
}

export interface TrainResult {
  steps: number;
  losses: number[];
  finalEval?: EvalResult;
  bestTop1: number;
  imagesPerSecond: number;
  wallSeconds: number;
  checkpoint?: string;
}

/** Trainer paths under outDir. */
export function trainerPaths(outDir: string): { checkpoints: string; log: string; plot: string } {
  return { checkpoints: join(outDir, 'checkpoints'), log: join(outDir, 'log.jsonl'), plot: join(outDir, 'curves.png') };
}

/**
 * The classification training loop of the ResNeSt recipe: SGD with per-iteration warmup +
 * cosine, label smoothing and mixup targets, DropBlock ramp, gradient accumulation, periodic
 * evaluation, atomic checkpoints and exact resume.
 *
 * Step bookkeeping: an epoch holds floor(batchesPerEpoch / accumulate) optimiser steps, so the
 * step count alone fixes the epoch and the batch within it; resuming at step s restarts the
 * loader at exactly that batch (the loader's order depends on (seed, epoch) only).
 */
export class ClassificationTrainer {
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  readonly warmupSteps: number;
  readonly optimizer: Sgd;
  private readonly rng: Rng;
  private readonly paths: ReturnType<typeof trainerPaths>;
  private readonly nameOf = new Map<string, string>();

  constructor(private readonly o: TrainerOptions) {
    if (!Number.isInteger(o.accumulate) || o.accumulate < 1) throw new Error(`trainer: accumulate must be a positive integer, got ${o.accumulate}`);
    this.stepsPerEpoch = Math.floor(o.train.batchesPerEpoch() / o.accumulate);
    if (this.stepsPerEpoch < 1) throw new Error(`trainer: an epoch has ${o.train.batchesPerEpoch()} batches, fewer than accumulate = ${o.accumulate}`);
    this.totalSteps = o.totalSteps ?? Math.max(1, Math.round(o.epochs * this.stepsPerEpoch));
    this.warmupSteps = Math.round(o.schedule.warmupEpochs * this.stepsPerEpoch);
    const groups = paramGroupsForModel(o.model, o.weightDecay);
    for (const g of groups) this.nameOf.set(g.variable.name, g.name);
    this.optimizer = new Sgd(groups, { momentum: o.momentum, nesterov: o.nesterov });
    this.rng = new Rng(o.seed).fork(7);
    this.paths = trainerPaths(o.outDir);
  }

  lrAt(step: number): number {
    const s = this.o.schedule;
    return learningRateAt(
      { kind: s.kind, baseLr: this.o.lr, totalSteps: this.totalSteps, warmupSteps: this.warmupSteps, milestones: s.milestonesEpochs?.map((e) => Math.round(e * this.stepsPerEpoch)), gamma: s.gamma },
      step,
    );
  }

  /** Soft targets (smoothed, then mixed) and the images to feed, on host arrays. */
  private targetsFor(b: Batch): { images: Float32Array; targets: Float32Array } {
    const targets = smoothOneHot(b.labels, this.o.numClasses, this.o.labelSmoothing);
    if (this.o.mixupAlpha <= 0) return { images: b.images, targets };
    return mixupBatch(b.images, targets, b.n, sampleMixupLambda(this.rng, this.o.mixupAlpha));
  }

  /** Forward + backward of one micro-batch; adds its gradients (divided by k) into `acc`. */
  private async microStep(b: Batch, acc: Map<string, tf.Tensor>, k: number, step: number, micro: number): Promise<number> {
    const { images, targets } = this.targetsFor(b);
    const vars = this.optimizer.params.map((p) => p.variable);
    // Dropout and DropBlock masks come from a stream fixed by (seed, step, micro-batch), so a
    // resumed run draws the same masks as an uninterrupted one.
    const layerRng = new Rng(this.o.seed).fork(0x5eed).fork(step * k + micro);
    const { value, grads } = withSeededMathRandom(layerRng, () =>
      tf.tidy(() => {
        const x = tf.tensor4d(images, [b.n, b.height, b.width, b.channels]);
        const y = tf.tensor2d(targets, [b.n, this.o.numClasses]);
        return tf.variableGrads(() => softTargetCrossEntropy(this.o.model.forward(x), y), vars);
      }),
    );
    for (const [varName, g] of Object.entries(grads)) {
      const name = this.nameOf.get(varName);
      if (name === undefined) throw new Error(`trainer: gradient for unknown variable ${varName}`);
      const scaled = k === 1 ? g : tf.tidy(() => tf.div(g, k));
      if (scaled !== g) g.dispose();
      const prev = acc.get(name);
      if (prev) {
        acc.set(name, tf.add(prev, scaled));
        prev.dispose();
        scaled.dispose();
      } else {
        acc.set(name, scaled);
      }
    }
    const loss = (await value.data())[0];
    value.dispose();
    return loss;
  }

  private async maybeEvaluate(step: number, epoch: number, log: JsonlLog, progress: ProgressLine, force: boolean): Promise<EvalResult | undefined> {
    if (!this.o.eval) return undefined;
    const every = this.o.evalEverySteps ?? this.stepsPerEpoch;
    if (!force && step % every !== 0) return undefined;
    const r = await evaluateClassifier(this.o.model, this.o.eval, this.o.numClasses);
    log.write({ type: 'eval', step, epoch, top1: r.top1, top5: r.top5, loss: r.loss, samples: r.samples, time: new Date().toISOString() });
    progress.message(`eval at step ${step}: top-1 ${(r.top1 * 100).toFixed(2)}% top-5 ${(r.top5 * 100).toFixed(2)}% loss ${r.loss.toFixed(4)} (${r.samples} images)`);
    await this.plot(log, progress);
    return r;
  }

  private plotFailed = false;

  /** The curves are a by-product: failing to draw them (no sharp) warns once and never stops training. */
  private async plot(log: JsonlLog, progress: ProgressLine): Promise<void> {
    if (this.o.plot === false || this.plotFailed) return;
    try {
      await writeTrainingCurves(log.records, this.paths.plot);
    } catch (err) {
      this.plotFailed = true;
      progress.message(`warning: could not write ${this.paths.plot}: ${(err as Error).message}`);
    }
  }

  async run(): Promise<TrainResult> {
    const o = this.o;
    mkdirSync(o.outDir, { recursive: true });
    const progress = o.progress ?? new ProgressLine();
    let step = 0;
    let bestTop1 = -1;
    let lastCheckpoint: string | undefined;
    let resumedFrom: number | undefined;
    if (o.resume) {
      const path = latestCheckpoint(this.paths.checkpoints);
      if (!path) throw new Error(`--resume: no checkpoint in ${this.paths.checkpoints}`);
      const state = loadCheckpoint(path, o.model, this.optimizer);
      if (state.configHash !== o.configHash) throw new Error(`--resume: ${path} was written by a run with config hash ${state.configHash}, this config hashes to ${o.configHash}; resume with the same config (or start a new --out)`);
      if (state.totalSteps !== this.totalSteps) throw new Error(`--resume: ${path} is from a run of ${state.totalSteps} steps, this run has ${this.totalSteps} (same --steps/--epochs needed)`);
      if (state.dataSeed !== o.dataSeed) throw new Error(`--resume: ${path} used data seed ${state.dataSeed}, this run ${o.dataSeed}`);
      this.rng.setState(state.rngState);
      step = state.step;
      bestTop1 = state.bestTop1;
      lastCheckpoint = path;
      resumedFrom = step;
      progress.message(`resumed from ${path} at step ${step}/${this.totalSteps}`);
    }
    const log = new JsonlLog(this.paths.log, resumedFrom ?? 0);
    const stopAt = Math.min(this.totalSteps, o.stopAfterStep ?? Infinity);
    const batchSize = { images: 0 };
    const started = Date.now();
    let windowStart = Date.now();
    let windowImages = 0;
    let rate = 0;
    const losses: number[] = [];
    let finalEval: EvalResult | undefined;
    o.model.train();

    const checkpoint = async (epoch: number, batchInEpoch: number) => {
      const state: TrainerState = { step, totalSteps: this.totalSteps, epoch, batchInEpoch, rngState: this.rng.getState(), dataSeed: o.dataSeed, configHash: o.configHash, bestTop1, savedAt: new Date().toISOString() };
      lastCheckpoint = await saveCheckpoint(this.paths.checkpoints, o.model, this.optimizer, state, o.keepCheckpoints);
    };

    while (step < stopAt) {
      const epoch = Math.floor(step / this.stepsPerEpoch);
      const startBatch = (step % this.stepsPerEpoch) * o.accumulate;
      const acc = new Map<string, tf.Tensor>();
      let micro = 0;
      let lossSum = 0;
      let tensorsBefore = 0;
      let endedEarly = true;
      try {
        for await (const b of o.train.epoch(epoch, startBatch)) {
          if (micro === 0) {
            tensorsBefore = tf.memory().numTensors;
            // Set from the step alone (not carried over from the previous step) so resume sees the same rate.
            o.model.setDropBlockRate(dropBlockRateAt(o.dropBlock, this.totalSteps, step));
          }
          lossSum += await this.microStep(b, acc, o.accumulate, step, micro);
          batchSize.images += b.n;
          windowImages += b.n;
          micro++;
          if (micro < o.accumulate) continue;
          const loss = lossSum / o.accumulate;
          const lr = this.lrAt(step);
          if (!Number.isFinite(loss)) {
            const where = `step ${step + 1}/${this.totalSteps} (epoch ${epoch}, batch ${(step % this.stepsPerEpoch) * o.accumulate + micro - 1})`;
            throw new NonFiniteLossError(
              `non-finite loss (${loss}) at ${where}; training stopped, weights not updated. ${lastCheckpoint ? `Last good checkpoint: ${lastCheckpoint}` : 'No checkpoint was written yet.'}`,
              step + 1,
              lastCheckpoint,
            );
          }
          this.optimizer.step(acc, lr);
          for (const g of acc.values()) g.dispose();
          acc.clear();
          // DESIGN: the tensor count is the same after a step as before it; checked every step.
          if (tf.memory().numTensors !== tensorsBefore) throw new Error(`trainer: step ${step + 1} changed the live tensor count by ${tf.memory().numTensors - tensorsBefore}`);
          step++;
          micro = 0;
          lossSum = 0;
          losses.push(loss);
          const now = Date.now();
          if (now - windowStart >= 2000) {
            rate = windowImages / ((now - windowStart) / 1000);
            windowStart = now;
            windowImages = 0;
          } else if (rate === 0) {
            rate = batchSize.images / Math.max(1e-3, (now - started) / 1000);
          }
          const curEpoch = Math.floor((step - 1) / this.stepsPerEpoch);
          if (step % o.logEverySteps === 0 || step === stopAt) {
            log.write({ type: 'train', step, epoch: curEpoch, loss, lr, imagesPerSecond: rate, time: new Date().toISOString() });
          }
          progress.update({ step, totalSteps: this.totalSteps, epoch: curEpoch, loss, lr, imagesPerSecond: rate, etaSeconds: ((this.totalSteps - step) * b.n * o.accumulate) / Math.max(rate, 1e-9) }, step === stopAt);
          const evaluated = await this.maybeEvaluate(step, curEpoch, log, progress, step === this.totalSteps);
          if (evaluated) {
            bestTop1 = Math.max(bestTop1, evaluated.top1);
            finalEval = evaluated;
          }
          if (step % o.checkpointEverySteps === 0 || step === stopAt) {
            await checkpoint(Math.floor(step / this.stepsPerEpoch), (step % this.stepsPerEpoch) * o.accumulate);
          }
          if (step >= stopAt || step % this.stepsPerEpoch === 0) {
            endedEarly = false;
            break;
          }
        }
        if (endedEarly) throw new Error(`trainer: the training data of epoch ${epoch} ended before its ${this.stepsPerEpoch * o.accumulate} batches (batchesPerEpoch() disagrees with epoch())`);
      } finally {
        for (const g of acc.values()) g.dispose();
      }
    }
    progress.end();
    await this.plot(log, progress);
    const wallSeconds = (Date.now() - started) / 1000;
    return { steps: step, losses, finalEval, bestTop1, imagesPerSecond: batchSize.images / Math.max(wallSeconds, 1e-9), wallSeconds, checkpoint: lastCheckpoint };
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
