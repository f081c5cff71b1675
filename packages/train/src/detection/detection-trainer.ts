/**
 * The detection training loop, detectron2's SimpleTrainer in shape (engine/train_loop.py): each
 * step loads a batch, takes the model's loss dict (GeneralizedRcnn.losses: torchvision's
 * loss_objectness, loss_rpn_box_reg, loss_classifier, loss_box_reg, loss_mask), sums it, takes
 * the gradients of the trainable parameters (tf.variableGrads), optionally clips them by global
 * norm, and applies SGD with momentum (PyTorch semantics) at the WarmupMultiStepLR rate. Around
 * it: a JSONL record per step, a progress line, atomic checkpoints with exact resume (data
 * position, sampler streams and learning rate are functions of the step; weights and momentum
 * come from the checkpoint), COCO evaluation every N steps and at the end, PNG curves.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { LabelMap } from '@tfvision/coco';
import type { GeneralizedRcnn } from '@tfvision/heads';
import { writeFileAtomic } from '@tfvision/nn';
import { Sgd } from '../optim/index.js';
import { latestCheckpoint, loadCheckpoint, saveCheckpoint, type TrainerState } from '../trainer/checkpoint.js';
import { NonFiniteLossError } from '../trainer/errors.js';
import { writeDetectionCurves } from './detection-curves.js';
import type { DetectionEvalSet } from './detection-data.js';
import { evaluateDetector, type DetectionEvalReport } from './detection-eval.js';
import { DetectionLog, type DetectionEvalRecord } from './detection-log.js';
import type { DetectionLoader } from './detection-loader.js';
import { detectionLrAt, type DetectionLrOptions } from './detection-lr.js';
import { detectionParamGroups, type DetectionDecayOptions } from './detection-param-groups.js';
import { DetectionProgress } from './detection-progress.js';
import { clipGradNorm } from './grad-clip.js';
import { disposeModelInputs, toModelInputs } from './model-inputs.js';
import type { StepRandperm } from './step-randperm.js';

export interface DetectionTrainerOptions {
  /** Built with `{ randperm: randperm.source }` so the samplers draw per-step streams. */
  model: GeneralizedRcnn;
  randperm: StepRandperm;
  loader: DetectionLoader;
  /** Training labels, for writing results with category ids. */
  labels: LabelMap;
  evalSet?: DetectionEvalSet;
  totalSteps: number;
  lr: Omit<DetectionLrOptions, 'batchSize'>;
  momentum: number;
  decay: DetectionDecayOptions;
  /** Clip gradients to this global L2 norm (off when absent). */
  clipGradNorm?: number;
  outDir: string;
  resume?: boolean;
  /** Stored in checkpoints; a resume with another hash is refused. */
  configHash: string;
  seed: number;
  /** Evaluate every N steps (and always at the end). */
  evalEverySteps?: number;
  /** Evaluate on the first N evaluation images only (quick runs). */
  evalLimit?: number;
  checkpointEverySteps: number;
  keepCheckpoints?: number;
  progress?: { write(s: string): unknown; isTTY?: boolean };
  /** Called after each evaluation (e.g. to draw predictions). */
  onEval?: (report: DetectionEvalReport, step: number) => Promise<void> | void;
}

export interface DetectionTrainResult {
  steps: number;
  startStep: number;
  wallSeconds: number;
  stepsPerSecond: number;
  finalEval?: DetectionEvalReport;
  checkpoint?: string;
}

export function detectionRunPaths(outDir: string): { checkpoints: string; log: string; plot: string; evals: string } {
  return { checkpoints: join(outDir, 'checkpoints'), log: join(outDir, 'log.jsonl'), plot: join(outDir, 'curves.png'), evals: join(outDir, 'eval') };
}

const pad = (n: number) => String(n).padStart(8, '0');

export class DetectionTrainer {
  readonly optimizer: Sgd;
  readonly paths: ReturnType<typeof detectionRunPaths>;
  private readonly lrOptions: DetectionLrOptions;
  private readonly withMasks: boolean;
  private bestAP = -1;

  constructor(readonly o: DetectionTrainerOptions) {
    if (!Number.isInteger(o.totalSteps) || o.totalSteps < 1) throw new Error(`DetectionTrainer: totalSteps must be a positive integer, got ${o.totalSteps}`);
    this.lrOptions = { ...o.lr, batchSize: o.loader.batchSize };
    this.optimizer = new Sgd(detectionParamGroups(o.model, o.decay), { momentum: o.momentum });
    this.paths = detectionRunPaths(o.outDir);
    this.withMasks = o.model.config.type === 'mask_rcnn';
  }

  lrAt(step: number): number {
    return detectionLrAt(this.lrOptions, step);
  }

  /** One optimiser step on `samples` at step index `step`; returns the loss values (the model is updated). */
  trainStep(step: number, samples: Parameters<typeof toModelInputs>[0]): { losses: Record<string, number>; total: number; gradNorm?: number } {
    const { model, randperm } = this.o;
    randperm.setStep(step);
    const inputs = toModelInputs(samples, this.withMasks);
    const kept: Record<string, tf.Scalar> = {};
    try {
      const vars = this.optimizer.params.map((p) => p.variable);
      const { value, grads } = tf.variableGrads(() => {
        const dict = model.losses(inputs.images, inputs.targets) as unknown as Record<string, tf.Scalar | undefined>;
        const parts: tf.Scalar[] = [];
        for (const [k, v] of Object.entries(dict)) {
          if (!v) continue;
          kept[k] = tf.keep(v);
          parts.push(v);
        }
        return tf.addN(parts) as tf.Scalar;
      }, vars);
      const total = value.dataSync()[0];
      value.dispose();
      const losses = Object.fromEntries(Object.entries(kept).map(([k, v]) => [k, v.dataSync()[0]]));
      let byName = new Map<string, tf.Tensor>();
      const zeros: tf.Tensor[] = [];
      for (const p of this.optimizer.params) {
        let g: tf.Tensor | undefined = grads[p.variable.name];
        // A parameter the losses do not reach (torch: grad None) gets zeros, as a loss multiplied by 0 gives.
        if (!g) zeros.push((g = tf.zerosLike(p.variable)));
        byName.set(p.name, g);
      }
      try {
        if (!Number.isFinite(total)) return { losses, total };
        let gradNorm: number | undefined;
        if (this.o.clipGradNorm !== undefined) {
          const clipped = clipGradNorm(byName, this.o.clipGradNorm);
          gradNorm = clipped.norm;
          if (clipped.grads !== byName) {
            this.optimizer.step(clipped.grads, this.lrAt(step));
            tf.dispose([...clipped.grads.values()]);
            return { losses, total, gradNorm };
          }
          byName = clipped.grads;
        }
        this.optimizer.step(byName, this.lrAt(step));
        return { losses, total, gradNorm };
      } finally {
        tf.dispose(Object.values(grads));
        tf.dispose(zeros);
      }
    } finally {
      tf.dispose(Object.values(kept));
      disposeModelInputs(inputs);
    }
  }

  private state(step: number): TrainerState & { bestBboxAP: number } {
    const pos = this.o.loader.position(step);
    return {
      step,
      totalSteps: this.o.totalSteps,
      epoch: pos.epoch,
      batchInEpoch: pos.batchInEpoch,
      // Data order, augmentation and sampler draws are functions of (seed, step): no RNG state to keep.
      rngState: [],
      dataSeed: this.o.seed,
      configHash: this.o.configHash,
      bestTop1: this.bestAP,
      bestBboxAP: this.bestAP,
      savedAt: new Date().toISOString(),
    };
  }

  private async evaluate(step: number, log: DetectionLog): Promise<DetectionEvalReport | undefined> {
    const { evalSet } = this.o;
    if (!evalSet) return undefined;
    const report = await evaluateDetector(this.o.model, evalSet, this.o.labels, { limit: this.o.evalLimit });
    const pick = (s: number[]) => ({ AP: s[0], AP50: s[1], AP75: s[2], stats: s });
    const record: DetectionEvalRecord = {
      type: 'eval',
      step,
      epoch: this.o.loader.position(step).epoch,
      bbox: pick(report.bbox.stats),
      ...(report.segm ? { segm: pick(report.segm.stats) } : {}),
      images: report.images,
      detections: report.detections,
      time: new Date().toISOString(),
    };
    log.write(record);
    mkdirSync(this.paths.evals, { recursive: true });
    const summary = { step, bbox: report.bbox, ...(report.segm ? { segm: report.segm } : {}), images: report.images, detections: report.detections };
    writeFileAtomic(join(this.paths.evals, `step-${pad(step)}.json`), [new TextEncoder().encode(`${JSON.stringify(summary, null, 1)}\n`)]);
    this.bestAP = Math.max(this.bestAP, report.bbox.stats[0]);
    await this.o.onEval?.(report, step);
    return report;
  }

  async run(): Promise<DetectionTrainResult> {
    const { o } = this;
    mkdirSync(o.outDir, { recursive: true });
    let start = 0;
    if (o.resume) {
      const ckpt = latestCheckpoint(this.paths.checkpoints);
      if (!ckpt) throw new Error(`DetectionTrainer: --resume but ${this.paths.checkpoints} holds no checkpoint`);
      const state = loadCheckpoint(ckpt, o.model, this.optimizer) as TrainerState & { bestBboxAP?: number };
      if (state.configHash !== o.configHash) throw new Error(`DetectionTrainer: ${ckpt} was written with config hash ${state.configHash}, this run's is ${o.configHash}`);
      if (state.totalSteps !== o.totalSteps) throw new Error(`DetectionTrainer: ${ckpt} is from a run of ${state.totalSteps} steps, this one has ${o.totalSteps}`);
      start = state.step;
      this.bestAP = state.bestBboxAP ?? state.bestTop1;
    }
    const log = new DetectionLog(this.paths.log, o.resume ? start : undefined);
    const progress = new DetectionProgress(o.progress);
    o.model.train();
    const t0 = performance.now();
    let lastCheckpoint: string | undefined;
    let finalEval: DetectionEvalReport | undefined;
    let windowStart = performance.now();
    let windowSteps = 0;
    let rate = 0;
    for await (const { step, samples } of o.loader.steps(start, o.totalSteps)) {
      const lr = this.lrAt(step);
      const { losses, total, gradNorm } = this.trainStep(step, samples);
      const done = step + 1;
      const epoch = o.loader.position(step).epoch;
      if (!Number.isFinite(total)) {
        progress.end();
        throw new NonFiniteLossError(
          `non-finite loss (${total}) at step ${done}/${o.totalSteps} (epoch ${epoch}): ${JSON.stringify(losses)}; training stopped, weights not updated. Last good checkpoint: ${lastCheckpoint ?? latestCheckpoint(this.paths.checkpoints) ?? 'none'}`,
          done,
          lastCheckpoint,
        );
      }
      windowSteps++;
      const elapsed = (performance.now() - windowStart) / 1000;
      rate = windowSteps / Math.max(elapsed, 1e-9);
      if (elapsed > 30) [windowStart, windowSteps] = [performance.now(), 0];
      log.write({ type: 'train', step: done, epoch, lr, loss: total, losses, ...(gradNorm !== undefined ? { gradNorm } : {}), stepsPerSecond: rate, imagesPerSecond: rate * o.loader.batchSize, time: new Date().toISOString() });
      progress.update({ step: done, totalSteps: o.totalSteps, epoch, loss: total, losses, lr, stepsPerSecond: rate, imagesPerSecond: rate * o.loader.batchSize }, done === o.totalSteps);
      const evalNow = done === o.totalSteps || (o.evalEverySteps !== undefined && done % o.evalEverySteps === 0);
      if (evalNow) {
        const report = await this.evaluate(done, log);
        if (report) {
          if (done === o.totalSteps) finalEval = report;
          progress.message(`eval at step ${done}: bbox AP ${(report.bbox.stats[0] * 100).toFixed(2)} AP50 ${(report.bbox.stats[1] * 100).toFixed(2)}${report.segm ? `, segm AP ${(report.segm.stats[0] * 100).toFixed(2)} AP50 ${(report.segm.stats[1] * 100).toFixed(2)}` : ''} (${report.images} images, ${report.detections} detections)`);
        }
        await writeDetectionCurves(log.records, this.paths.plot);
      }
      if (done === o.totalSteps || done % o.checkpointEverySteps === 0) {
        lastCheckpoint = await saveCheckpoint(this.paths.checkpoints, o.model, this.optimizer, this.state(done), o.keepCheckpoints ?? 2);
      }
    }
    progress.end();
    if (finalEval) {
      const enc = (v: unknown) => [new TextEncoder().encode(JSON.stringify(v))];
      writeFileAtomic(join(o.outDir, 'results.bbox.json'), enc(finalEval.results.bbox));
      if (finalEval.results.segm) writeFileAtomic(join(o.outDir, 'results.segm.json'), enc(finalEval.results.segm));
      writeFileAtomic(join(o.outDir, 'metrics.json'), [new TextEncoder().encode(`${JSON.stringify({ step: o.totalSteps, bbox: finalEval.bbox, ...(finalEval.segm ? { segm: finalEval.segm } : {}) }, null, 1)}\n`)]);
    }
    if (!finalEval) await writeDetectionCurves(log.records, this.paths.plot);
    const wallSeconds = (performance.now() - t0) / 1000;
    return { steps: o.totalSteps, startStep: start, wallSeconds, stepsPerSecond: (o.totalSteps - start) / Math.max(wallSeconds, 1e-9), finalEval, checkpoint: lastCheckpoint };
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
