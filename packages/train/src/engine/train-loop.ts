/**
 * The training loop, detectron2's engine/train_loop.py in shape: TrainerBase runs optimiser
 * steps over a StepSource and calls its hooks before and after training and around each step;
 * SimpleTrainer's step takes the model step's loss dict for each micro-batch, differentiates its
 * sum (leanVariableGrads: tf.variableGrads freeing as it goes), accumulates the gradients (each divided by the micro-batch count),
 * optionally clips them by global norm and applies SGD at the rate the schedule hook set.
 *
 * Exact resume: data position, learning rate and the model step's random streams are functions
 * of the step; weights, momentum buffers, the model step's host RNG and the best metric come
 * from the checkpoint.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { leanVariableGrads, type Module } from '@tfvision/nn';
import type { Sgd } from '../optim/index.js';
import { clipGradNorm } from './grad-clip.js';
import { latestCheckpoint, loadCheckpoint, type BestMetric, type TrainerState } from './checkpoint.js';
import { NonFiniteLossError } from './errors.js';
import type { Hook } from './hook.js';
import type { JsonlLog } from './jsonl-log.js';
import type { ModelStep } from './loss-dict.js';
import { ProgressLine } from './progress.js';
import type { DataPosition, StepSource } from './step-source.js';
import { Throughput } from './throughput.js';

/** One optimiser step's outcome (host numbers). */
export interface StepOutput {
  /** Sum of the losses, averaged over the micro-batches. */
  total: number;
  losses: Record<string, number>;
  /** Global gradient norm before clipping (when clipping is on). */
  gradNorm?: number;
  images: number;
}

/** One evaluation, as a hook reports it. */
export interface Evaluation {
  /** Scalar metrics by name: "top1", "bbox/AP", "mIoU"... */
  metrics: Record<string, number>;
  /** Task fields written into the eval log record. */
  record?: Record<string, unknown>;
  /** What the progress output says about it. */
  summary: string;
}

/** Files under the run directory. */
export function runPaths(outDir: string): { checkpoints: string; log: string; plot: string } {
  return { checkpoints: join(outDir, 'checkpoints'), log: join(outDir, 'log.jsonl'), plot: join(outDir, 'curves.png') };
}

export interface TrainerBaseOptions {
  outDir: string;
  totalSteps: number;
  /** Continue from the newest checkpoint in outDir/checkpoints. */
  resume?: boolean;
  /** Stop (as if killed) once this many steps are done; the schedule still spans totalSteps. */
  stopAfterStep?: number;
  /** Stored in checkpoints; a resume with another hash, length or data seed is refused. */
  configHash: string;
  dataSeed: number;
  /** Prefix of resume errors (default "--resume"). */
  errorLabel?: string;
  progress?: ProgressLine;
}

export interface RunResult {
  /** Steps completed (the last one run). */
  steps: number;
  startStep: number;
  /** Loss sums of the steps this call ran. */
  losses: number[];
  wallSeconds: number;
  stepsPerSecond: number;
  imagesPerSecond: number;
  lastEval?: Evaluation & { step: number };
  best?: BestMetric;
  checkpoint?: string;
}

export abstract class TrainerBase<B> {
  readonly totalSteps: number;
  readonly stopAt: number;
  readonly paths: ReturnType<typeof runPaths>;
  readonly progress: ProgressLine;
  /** Steps completed; during a step, the 0-based index of the step being run. */
  step = 0;
  startStep = 0;
  /** Learning rate of the step about to run (set by the schedule hook). */
  lr = 0;
  /** The step just completed (valid in afterStep). */
  last: StepOutput = { total: NaN, losses: {}, images: 0 };
  readonly rate = new Throughput();
  lastEval?: Evaluation & { step: number };
  best?: BestMetric;
  lastCheckpoint?: string;
  /** Set by the JSONL hook; other hooks append their records to it. */
  log?: JsonlLog;
  private hooks: Hook[] = [];

  constructor(
    readonly source: StepSource<B>,
    readonly base: TrainerBaseOptions,
  ) {
    if (!Number.isInteger(base.totalSteps) || base.totalSteps < 1) throw new Error(`trainer: totalSteps must be a positive integer, got ${base.totalSteps}`);
    this.totalSteps = base.totalSteps;
    this.stopAt = Math.min(base.totalSteps, base.stopAfterStep ?? Infinity);
    this.paths = runPaths(base.outDir);
    this.progress = base.progress ?? new ProgressLine();
  }

  /** Hooks run in the order given, each event. */
  registerHooks(hooks: (Hook | undefined)[]): void {
    this.hooks.push(...hooks.filter((h): h is Hook => h !== undefined));
  }

  abstract readonly model: Module;
  abstract readonly optimizer: Sgd;
  /** Forward, backward and update of step `step` on its micro-batches at learning rate `lr`. */
  abstract runStep(step: number, batches: B[], lr: number): StepOutput;
  protected abstract rngState(): number[];
  protected abstract setRngState(state: number[]): void;

  /** Epoch of the step just completed (steps are 1-based here, positions 0-based). */
  epochOf(completed: number): number {
    return this.source.position(Math.max(0, completed - 1)).epoch;
  }

  state(): TrainerState {
    const pos: DataPosition = this.source.position(this.step);
    return {
      step: this.step,
      totalSteps: this.totalSteps,
      epoch: pos.epoch,
      batchInEpoch: pos.batchInEpoch * this.source.accumulate,
      rngState: this.rngState(),
      dataSeed: this.base.dataSeed,
      configHash: this.base.configHash,
      best: this.best ?? null,
      savedAt: new Date().toISOString(),
    };
  }

  private resume(): void {
    const label = this.base.errorLabel ?? '--resume';
    const path = latestCheckpoint(this.paths.checkpoints);
    if (!path) throw new Error(`${label}: no checkpoint in ${this.paths.checkpoints} to resume from`);
    const state = loadCheckpoint(path, this.model, this.optimizer);
    if (state.configHash !== this.base.configHash) throw new Error(`${label}: ${path} was written by a run with config hash ${state.configHash}, this config hashes to ${this.base.configHash}; resume with the same config (or start a new --out)`);
    if (state.totalSteps !== this.totalSteps) throw new Error(`${label}: ${path} is from a run of ${state.totalSteps} steps, this one has ${this.totalSteps} (same --steps/--epochs needed)`);
    if (state.dataSeed !== this.base.dataSeed) throw new Error(`${label}: ${path} used data seed ${state.dataSeed}, this run ${this.base.dataSeed}`);
    this.setRngState(state.rngState);
    this.step = this.startStep = state.step;
    this.best = state.best ?? undefined;
    this.lastCheckpoint = path;
    this.progress.message(`resumed from ${path} at step ${state.step}/${this.totalSteps}`);
  }

  private nonFinite(step: number, out: StepOutput): NonFiniteLossError {
    const pos = this.source.position(step);
    const where = `step ${step + 1}/${this.totalSteps} (epoch ${pos.epoch}, batch ${pos.batchInEpoch * this.source.accumulate + this.source.accumulate - 1})`;
    const last = this.lastCheckpoint ? `Last good checkpoint: ${this.lastCheckpoint}` : 'No checkpoint was written yet.';
    return new NonFiniteLossError(`non-finite loss (${out.total}) at ${where}; training stopped, weights not updated. Losses: ${JSON.stringify(out.losses)}. ${last}`, step + 1, this.lastCheckpoint);
  }

  async run(): Promise<RunResult> {
    mkdirSync(this.base.outDir, { recursive: true });
    if (this.base.resume) this.resume();
    this.model.train();
    const t0 = performance.now();
    const losses: number[] = [];
    let images = 0;
    for (const h of this.hooks) await h.beforeTrain?.(this);
    try {
      for await (const { step, batches } of this.source.steps(this.step, this.stopAt)) {
        this.step = step;
        for (const h of this.hooks) await h.beforeStep?.(this);
        const out = this.runStep(step, batches, this.lr);
        if (!Number.isFinite(out.total)) throw this.nonFinite(step, out);
        this.step = step + 1;
        this.last = out;
        this.rate.add(out.images);
        images += out.images;
        losses.push(out.total);
        for (const h of this.hooks) await h.afterStep?.(this);
      }
      if (this.step < this.stopAt) throw new Error(`trainer: the training data ended after step ${this.step} of ${this.stopAt}`);
    } finally {
      for (const h of this.hooks) await h.afterTrain?.(this);
    }
    const wallSeconds = (performance.now() - t0) / 1000;
    return {
      steps: this.step,
      startStep: this.startStep,
      losses,
      wallSeconds,
      stepsPerSecond: losses.length / Math.max(wallSeconds, 1e-9),
      imagesPerSecond: images / Math.max(wallSeconds, 1e-9),
      lastEval: this.lastEval,
      best: this.best,
      checkpoint: this.lastCheckpoint,
    };
  }
}

export interface SimpleTrainerOptions<B> extends TrainerBaseOptions {
  model: Module;
  modelStep: ModelStep<B>;
  optimizer: Sgd;
  /** Clip gradients to this global L2 norm (off when absent). */
  clipGradNorm?: number;
  /** Throw when a step changes the live tensor count (a leak), checked every step. */
  checkTensorCount?: boolean;
}

/** Gradients of a loss dict's sum, accumulated over micro-batches, clipped, applied with SGD. */
export class SimpleTrainer<B> extends TrainerBase<B> {
  readonly model: Module;
  readonly optimizer: Sgd;
  private readonly nameOf = new Map<string, string>();

  constructor(
    source: StepSource<B>,
    readonly options: SimpleTrainerOptions<B>,
  ) {
    super(source, options);
    if (!Number.isInteger(source.accumulate) || source.accumulate < 1) throw new Error(`trainer: accumulate must be a positive integer, got ${source.accumulate}`);
    this.model = options.model;
    this.optimizer = options.optimizer;
    for (const p of this.optimizer.params) this.nameOf.set(p.variable.name, p.name);
  }

  protected rngState(): number[] {
    return this.options.modelStep.getRngState?.() ?? [];
  }

  protected setRngState(state: number[]): void {
    this.options.modelStep.setRngState?.(state);
  }

  /** Forward + backward of one micro-batch; adds its gradients (divided by k) into `acc`, its losses into `sums`. */
  private microStep(batch: B, step: number, micro: number, acc: Map<string, tf.Tensor>, sums: Record<string, number>): number {
    const k = this.source.accumulate;
    const vars = this.optimizer.params.map((p) => p.variable);
    const kept: Record<string, tf.Scalar> = {};
    let names: string[] = [];
    try {
      const { value, grads } = leanVariableGrads(() => {
        const dict = this.options.modelStep.losses(batch, { step, micro, accumulate: k });
        names = Object.keys(dict);
        if (names.length === 0) throw new Error(`trainer: the model step returned no losses at step ${step + 1}`);
        // One loss is differentiated as it is (not through an addN), so its numbers are the loss's own.
        if (names.length === 1) return dict[names[0]];
        for (const n of names) kept[n] = tf.keep(dict[n]);
        return tf.addN(names.map((n) => dict[n])) as tf.Scalar;
      }, vars);
      const total = value.dataSync()[0];
      if (names.length === 1) sums[names[0]] = (sums[names[0]] ?? 0) + total;
      else for (const n of names) sums[n] = (sums[n] ?? 0) + kept[n].dataSync()[0];
      value.dispose();
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
      return total;
    } finally {
      tf.dispose(Object.values(kept));
    }
  }

  runStep(step: number, batches: B[], lr: number): StepOutput {
    const k = this.source.accumulate;
    if (batches.length !== k) throw new Error(`trainer: step ${step + 1} got ${batches.length} micro-batches, expected accumulate = ${k}`);
    const before = tf.memory().numTensors;
    const out = this.gradientStep(step, batches, lr);
    // DESIGN: the tensor count is the same after a step as before it.
    if (this.options.checkTensorCount && tf.memory().numTensors !== before) throw new Error(`trainer: step ${step + 1} changed the live tensor count by ${tf.memory().numTensors - before}`);
    return out;
  }

  private gradientStep(step: number, batches: B[], lr: number): StepOutput {
    const k = this.source.accumulate;
    const acc = new Map<string, tf.Tensor>();
    let clipped: Map<string, tf.Tensor> | undefined;
    try {
      let lossSum = 0;
      let images = 0;
      const sums: Record<string, number> = {};
      batches.forEach((b, micro) => {
        lossSum += this.microStep(b, step, micro, acc, sums);
        images += this.options.modelStep.batchSize(b);
      });
      const losses = Object.fromEntries(Object.entries(sums).map(([n, v]) => [n, v / k]));
      const total = lossSum / k;
      if (!Number.isFinite(total)) return { total, losses, images };
      for (const p of this.optimizer.params) {
        // A parameter the losses do not reach (torch: grad None) gets zeros, as a loss multiplied by 0 gives.
        if (!acc.has(p.name)) acc.set(p.name, tf.zerosLike(p.variable));
      }
      let grads: ReadonlyMap<string, tf.Tensor> = acc;
      let gradNorm: number | undefined;
      if (this.options.clipGradNorm !== undefined) {
        const c = clipGradNorm(acc, this.options.clipGradNorm);
        gradNorm = c.norm;
        if (c.grads !== acc) clipped = c.grads;
        grads = c.grads;
      }
      this.optimizer.step(grads, lr);
      return { total, losses, images, ...(gradNorm !== undefined ? { gradNorm } : {}) };
    } finally {
      tf.dispose([...acc.values()]);
      if (clipped) tf.dispose([...clipped.values()]);
    }
  }
}
