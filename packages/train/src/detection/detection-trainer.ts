/**
 * Detection training on the engine (detectron2's SimpleTrainer + default hooks): each step loads
 * a batch, takes the detector's loss dict (torchvision's loss_objectness, loss_rpn_box_reg,
 * loss_classifier, loss_box_reg, loss_mask, or detectron2's cascade names), differentiates their
 * sum, optionally clips by global norm and applies SGD with momentum at the WarmupMultiStepLR
 * rate. Hooks: JSONL log of every loss, progress line, COCO evaluation every N steps and at the
 * end (eval/step-N.json, best checkpoint on bbox AP), PNG curves, atomic checkpoints with exact
 * resume (data position, sampler and resize streams and learning rate are functions of the step).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DetectionSample, LabelMap } from '@tfvision/coco';
import { writeFileAtomic } from '@tfvision/nn';
import {
  BestCheckpointHook,
  CurvesHook,
  EvalHook,
  JsonlLogHook,
  LrScheduleHook,
  PeriodicCheckpointer,
  ProgressHook,
  ProgressLine,
  runPaths,
  SimpleTrainer,
  type DataPosition,
  type Evaluation,
  type LossDict,
  type ModelStep,
  type StepContext,
  type StepOutput,
  type StepSource,
} from '../engine/index.js';
import { Sgd } from '../optim/index.js';
import { detectionPanels } from './detection-curves.js';
import type { DetectionEvalSet } from './detection-data.js';
import { evaluateDetector, type DetectionEvalReport } from './detection-eval.js';
import type { DetectionEvalRecord, DetectionLogRecord } from './detection-log.js';
import type { DetectionLoader } from './detection-loader.js';
import { detectionLrAt, type DetectionLrOptions } from './detection-lr.js';
import { detectionParamGroups, type DetectionDecayOptions } from './detection-param-groups.js';
import { toModelInputs } from './model-inputs.js';
import type { StepRandperm } from './step-randperm.js';
import { detectorHasMasks, type TrainableDetector } from './trainable-detector.js';

export interface DetectionTrainerOptions {
  /** Built with `{ randperm: randperm.source }` so the samplers draw per-step streams. */
  model: TrainableDetector;
  /** Restarted at each step (StepRandomSources also restarts the resize stream). */
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
  /** Best bbox AP of the run (checkpoints/best/), when it evaluated. */
  bestBboxAP?: number;
  checkpoint?: string;
}

export function detectionRunPaths(outDir: string): { checkpoints: string; log: string; plot: string; evals: string } {
  return { ...runPaths(outDir), evals: join(outDir, 'eval') };
}

/** torchvision's loss names, shortened for the progress line. */
const SHORT_LOSS_NAMES: Record<string, string> = { loss_objectness: 'obj', loss_rpn_box_reg: 'rpn_box', loss_classifier: 'cls', loss_box_reg: 'box', loss_mask: 'mask' };

const pad = (n: number) => String(n).padStart(8, '0');

/** One batch of samples per step (no accumulation), read through `loader.steps` as the loader is at run time. */
class DetectionSteps implements StepSource<DetectionSample[]> {
  readonly accumulate = 1;
  constructor(private readonly loader: DetectionLoader) {}
  position(step: number): DataPosition {
    return this.loader.position(step);
  }
  async *steps(from: number, to: number): AsyncGenerator<{ step: number; batches: DetectionSample[][] }> {
    for await (const { step, samples } of this.loader.steps(from, to)) yield { step, batches: [samples] };
  }
}

/** The detector's training forward: per-step sampler streams, targets as tensors, the loss dict without absent entries. */
class DetectionModelStep implements ModelStep<DetectionSample[]> {
  private readonly withMasks: boolean;
  constructor(
    private readonly model: TrainableDetector,
    private readonly randperm: StepRandperm,
  ) {
    this.withMasks = detectorHasMasks(model);
  }
  losses(samples: DetectionSample[], ctx: StepContext): LossDict {
    this.randperm.setStep(ctx.step);
    // The input tensors are freed with the forward's other tensors by variableGrads' tidy.
    const inputs = toModelInputs(samples, this.withMasks);
    const dict = this.model.losses(inputs.images, inputs.targets) as unknown as Record<string, LossDict[string] | undefined>;
    return Object.fromEntries(Object.entries(dict).filter((e): e is [string, LossDict[string]] => e[1] !== undefined));
  }
  batchSize(samples: DetectionSample[]): number {
    return samples.length;
  }
}

export class DetectionTrainer {
  readonly optimizer: Sgd;
  readonly paths: ReturnType<typeof detectionRunPaths>;
  readonly engine: SimpleTrainer<DetectionSample[]>;
  private readonly lrOptions: DetectionLrOptions;
  private lastReport?: { step: number; report: DetectionEvalReport };

  constructor(readonly o: DetectionTrainerOptions) {
    if (!Number.isInteger(o.totalSteps) || o.totalSteps < 1) throw new Error(`DetectionTrainer: totalSteps must be a positive integer, got ${o.totalSteps}`);
    this.lrOptions = { ...o.lr, batchSize: o.loader.batchSize };
    this.optimizer = new Sgd(detectionParamGroups(o.model, o.decay), { momentum: o.momentum });
    this.paths = detectionRunPaths(o.outDir);
    this.engine = new SimpleTrainer(new DetectionSteps(o.loader), {
      outDir: o.outDir,
      totalSteps: o.totalSteps,
      resume: o.resume,
      configHash: o.configHash,
      // Data order, augmentation and sampler draws are functions of (seed, step): no RNG state to keep.
      dataSeed: o.seed,
      errorLabel: 'DetectionTrainer',
      progress: new ProgressLine(o.progress, undefined, undefined, SHORT_LOSS_NAMES),
      model: o.model,
      modelStep: new DetectionModelStep(o.model, o.randperm),
      optimizer: this.optimizer,
      clipGradNorm: o.clipGradNorm,
    });
    this.engine.registerHooks([
      new LrScheduleHook((step) => this.lrAt(step)),
      new JsonlLogHook(1),
      new ProgressHook(),
      o.evalSet ? new EvalHook((step) => this.evaluate(step), o.evalEverySteps) : undefined,
      o.evalSet ? new BestCheckpointHook('bbox/AP') : undefined,
      new CurvesHook((records) => detectionPanels(records as unknown as DetectionLogRecord[])),
      new PeriodicCheckpointer(o.checkpointEverySteps, o.keepCheckpoints ?? 2),
    ]);
  }

  lrAt(step: number): number {
    return detectionLrAt(this.lrOptions, step);
  }

  /** One optimiser step on `samples` at step index `step`; returns the loss values (the model is updated unless they are non-finite). */
  trainStep(step: number, samples: DetectionSample[]): StepOutput {
    return this.engine.runStep(step, [samples], this.lrAt(step));
  }

  private async evaluate(step: number): Promise<Evaluation> {
    const report = await evaluateDetector(this.o.model, this.o.evalSet as DetectionEvalSet, this.o.labels, { limit: this.o.evalLimit });
    const pick = (s: number[]) => ({ AP: s[0], AP50: s[1], AP75: s[2], stats: s });
    const record: Omit<DetectionEvalRecord, 'type' | 'step' | 'epoch' | 'time' | 'metrics'> = {
      bbox: pick(report.bbox.stats),
      ...(report.segm ? { segm: pick(report.segm.stats) } : {}),
      images: report.images,
      detections: report.detections,
    };
    mkdirSync(this.paths.evals, { recursive: true });
    const summary = { step, bbox: report.bbox, ...(report.segm ? { segm: report.segm } : {}), images: report.images, detections: report.detections };
    writeFileAtomic(join(this.paths.evals, `step-${pad(step)}.json`), [new TextEncoder().encode(`${JSON.stringify(summary, null, 1)}\n`)]);
    this.lastReport = { step, report };
    await this.o.onEval?.(report, step);
    const b = report.bbox.stats;
    const s = report.segm?.stats;
    return {
      metrics: { 'bbox/AP': b[0], 'bbox/AP50': b[1], 'bbox/AP75': b[2], ...(s ? { 'segm/AP': s[0], 'segm/AP50': s[1], 'segm/AP75': s[2] } : {}) },
      record,
      summary: `bbox AP ${(b[0] * 100).toFixed(2)} AP50 ${(b[1] * 100).toFixed(2)}${s ? `, segm AP ${(s[0] * 100).toFixed(2)} AP50 ${(s[1] * 100).toFixed(2)}` : ''} (${report.images} images, ${report.detections} detections)`,
    };
  }

  /** The final evaluation's COCO results and metrics beside the log. */
  private writeFinal(finalEval: DetectionEvalReport): void {
    const { outDir, totalSteps } = this.o;
    const enc = (v: unknown) => [new TextEncoder().encode(JSON.stringify(v))];
    writeFileAtomic(join(outDir, 'results.bbox.json'), enc(finalEval.results.bbox));
    if (finalEval.results.segm) writeFileAtomic(join(outDir, 'results.segm.json'), enc(finalEval.results.segm));
    writeFileAtomic(join(outDir, 'metrics.json'), [new TextEncoder().encode(`${JSON.stringify({ step: totalSteps, bbox: finalEval.bbox, ...(finalEval.segm ? { segm: finalEval.segm } : {}) }, null, 1)}\n`)]);
  }

  async run(): Promise<DetectionTrainResult> {
    const r = await this.engine.run();
    const finalEval = this.lastReport?.step === this.o.totalSteps ? this.lastReport.report : undefined;
    if (finalEval) this.writeFinal(finalEval);
    return { steps: r.steps, startStep: r.startStep, wallSeconds: r.wallSeconds, stepsPerSecond: r.stepsPerSecond, finalEval, ...(r.best ? { bestBboxAP: r.best.value } : {}), checkpoint: r.checkpoint };
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
