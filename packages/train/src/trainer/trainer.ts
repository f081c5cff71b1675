/**
 * The classification recipe of ResNeSt on the engine: SGD with per-iteration warmup + cosine
 * (or step) schedule, label smoothing and mixup targets, DropBlock ramp, gradient accumulation,
 * periodic top-1 evaluation with the best checkpoint, atomic checkpoints and exact resume.
 */
import type { Backbone } from '@tfvision/backbones';
import type { Batch } from '../data/index.js';
import {
  BestCheckpointHook,
  CurvesHook,
  EvalHook,
  JsonlLogHook,
  LrScheduleHook,
  PeriodicCheckpointer,
  ProgressHook,
  runPaths,
  SimpleTrainer,
  type Evaluation,
  type Hook,
  type HookTrainer,
  type ProgressLine,
} from '../engine/index.js';
import { paramGroupsForModel, Sgd } from '../optim/index.js';
import { trainingPanels } from '../plot/index.js';
import { dropBlockRateAt, learningRateAt, type ScheduleKind } from '../schedule/index.js';
import type { BatchSource } from './batch-source.js';
import { ClassificationStep } from './classification-step.js';
import { EpochSteps } from './epoch-steps.js';
import { evaluateClassifier, type EvalResult } from './evaluate.js';
import type { LogRecord } from './jsonl-log.js';

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
  /** The last evaluation of this run. */
  finalEval?: EvalResult;
  /** Best evaluation top-1 of the run so far (-1 when none). */
  bestTop1: number;
  imagesPerSecond: number;
  wallSeconds: number;
  checkpoint?: string;
}

/** Trainer paths under outDir. */
export const trainerPaths = runPaths;

/** Sets the DropBlock rate of each step from the step alone (not carried over), so a resume sees the same rate. */
class DropBlockRampHook implements Hook {
  constructor(
    private readonly model: Backbone,
    private readonly target: number,
  ) {}
  beforeStep(t: HookTrainer): void {
    this.model.setDropBlockRate(dropBlockRateAt(this.target, t.totalSteps, t.step));
  }
}

export class ClassificationTrainer {
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  readonly warmupSteps: number;
  readonly optimizer: Sgd;
  readonly engine: SimpleTrainer<Batch>;
  private lastEval?: EvalResult;

  constructor(private readonly o: TrainerOptions) {
    const data = new EpochSteps(o.train, o.accumulate);
    this.stepsPerEpoch = data.stepsPerEpoch;
    this.totalSteps = o.totalSteps ?? Math.max(1, Math.round(o.epochs * this.stepsPerEpoch));
    this.warmupSteps = Math.round(o.schedule.warmupEpochs * this.stepsPerEpoch);
    this.optimizer = new Sgd(paramGroupsForModel(o.model, o.weightDecay), { momentum: o.momentum, nesterov: o.nesterov });
    const modelStep = new ClassificationStep(o.model, { numClasses: o.numClasses, labelSmoothing: o.labelSmoothing, mixupAlpha: o.mixupAlpha, seed: o.seed });
    this.engine = new SimpleTrainer(data, {
      outDir: o.outDir,
      totalSteps: this.totalSteps,
      resume: o.resume,
      stopAfterStep: o.stopAfterStep,
      configHash: o.configHash,
      dataSeed: o.dataSeed,
      progress: o.progress,
      model: o.model,
      modelStep,
      optimizer: this.optimizer,
      checkTensorCount: true,
    });
    this.engine.registerHooks([
      new LrScheduleHook((step) => this.lrAt(step)),
      new DropBlockRampHook(o.model, o.dropBlock),
      new JsonlLogHook(o.logEverySteps),
      new ProgressHook(),
      o.eval ? new EvalHook(() => this.evaluate(), o.evalEverySteps ?? this.stepsPerEpoch) : undefined,
      o.eval ? new BestCheckpointHook('top1') : undefined,
      // Classification records are engine records carrying the top-1/top-5 fields trainingPanels reads.
      o.plot === false ? undefined : new CurvesHook((records) => trainingPanels(records as unknown as LogRecord[])),
      new PeriodicCheckpointer(o.checkpointEverySteps, o.keepCheckpoints),
    ]);
  }

  lrAt(step: number): number {
    const s = this.o.schedule;
    return learningRateAt(
      { kind: s.kind, baseLr: this.o.lr, totalSteps: this.totalSteps, warmupSteps: this.warmupSteps, milestones: s.milestonesEpochs?.map((e) => Math.round(e * this.stepsPerEpoch)), gamma: s.gamma },
      step,
    );
  }

  private async evaluate(): Promise<Evaluation> {
    const r = await evaluateClassifier(this.o.model, this.o.eval as BatchSource, this.o.numClasses);
    this.lastEval = r;
    return {
      metrics: { top1: r.top1, top5: r.top5, loss: r.loss },
      record: { top1: r.top1, top5: r.top5, loss: r.loss, samples: r.samples },
      summary: `top-1 ${(r.top1 * 100).toFixed(2)}% top-5 ${(r.top5 * 100).toFixed(2)}% loss ${r.loss.toFixed(4)} (${r.samples} images)`,
    };
  }

  async run(): Promise<TrainResult> {
    const r = await this.engine.run();
    return { steps: r.steps, losses: r.losses, finalEval: this.lastEval, bestTop1: r.best?.value ?? -1, imagesPerSecond: r.imagesPerSecond, wallSeconds: r.wallSeconds, checkpoint: r.checkpoint };
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
