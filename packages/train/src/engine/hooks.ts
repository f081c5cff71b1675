/**
 * The standard hooks (detectron2's engine/hooks.py): LR schedule per step, periodic evaluation
 * with a named metric, best checkpoint, periodic atomic checkpoints, JSONL log, progress line,
 * PNG curves. Register them in this order: each reads what the ones before it set this step.
 */
import { writeFileAtomic } from '@tfvision/nn';
import sharp from 'sharp';
import { curvesSvg, type Panel } from '../plot/curves-svg.js';
import { saveCheckpoint, writeCheckpointDir } from './checkpoint.js';
import type { Hook, HookTrainer } from './hook.js';
import { JsonlLog, type EngineLogRecord } from './jsonl-log.js';
import type { Evaluation } from './train-loop.js';

/** Sets the learning rate of each step from the step alone (so a resume sees the same rate). */
export class LrScheduleHook implements Hook {
  constructor(private readonly lrAt: (step: number) => number) {}
  beforeStep(t: HookTrainer): void {
    t.lr = this.lrAt(t.step);
  }
}

/** Opens the JSONL log (keeping the records up to a resumed step) and writes a train record every N steps and at the stop. */
export class JsonlLogHook implements Hook {
  constructor(private readonly everySteps = 1) {
    if (!Number.isInteger(everySteps) || everySteps < 1) throw new Error(`JsonlLogHook: everySteps must be a positive integer, got ${everySteps}`);
  }
  beforeTrain(t: HookTrainer): void {
    t.log = new JsonlLog(t.paths.log, t.base.resume ? t.startStep : undefined);
  }
  afterStep(t: HookTrainer): void {
    if (t.step % this.everySteps !== 0 && t.step !== t.stopAt) return;
    const { total, losses, gradNorm } = t.last;
    t.log?.write({ type: 'train', step: t.step, epoch: t.epochOf(t.step), loss: total, losses, lr: t.lr, ...(gradNorm !== undefined ? { gradNorm } : {}), stepsPerSecond: t.rate.stepsPerSecond, imagesPerSecond: t.rate.imagesPerSecond, time: new Date().toISOString() });
  }
}

export class ProgressHook implements Hook {
  afterStep(t: HookTrainer): void {
    t.progress.update({ step: t.step, totalSteps: t.totalSteps, epoch: t.epochOf(t.step), loss: t.last.total, losses: t.last.losses, lr: t.lr, stepsPerSecond: t.rate.stepsPerSecond, imagesPerSecond: t.rate.imagesPerSecond }, t.step === t.stopAt);
  }
  afterTrain(t: HookTrainer): void {
    t.progress.end();
  }
}

/** Evaluates every N steps (none: only at the end) and after the last step; logs the metrics. */
export class EvalHook implements Hook {
  constructor(
    private readonly evaluate: (step: number) => Promise<Evaluation>,
    private readonly everySteps?: number,
  ) {
    if (everySteps !== undefined && (!Number.isInteger(everySteps) || everySteps < 1)) throw new Error(`EvalHook: everySteps must be a positive integer, got ${everySteps}`);
  }
  async afterStep(t: HookTrainer): Promise<void> {
    const due = t.step === t.totalSteps || (this.everySteps !== undefined && t.step % this.everySteps === 0);
    if (!due) return;
    const e = await this.evaluate(t.step);
    t.lastEval = { ...e, step: t.step };
    t.log?.write({ type: 'eval', step: t.step, epoch: t.epochOf(t.step), ...e.record, metrics: e.metrics, time: new Date().toISOString() });
    t.progress.message(`eval at step ${t.step}: ${e.summary}`);
  }
}

/**
 * Keeps the checkpoint of the best evaluation of `metric` in checkpoints/best/ (written
 * atomically, replacing the previous best); the best value is part of every checkpoint's state.
 */
export class BestCheckpointHook implements Hook {
  constructor(
    readonly metric: string,
    private readonly mode: 'max' | 'min' = 'max',
  ) {}
  async afterStep(t: HookTrainer): Promise<void> {
    if (t.lastEval?.step !== t.step) return;
    const value = t.lastEval.metrics[this.metric];
    if (value === undefined) throw new Error(`BestCheckpointHook: the evaluation has no metric "${this.metric}" (it has ${Object.keys(t.lastEval.metrics).join(', ')})`);
    if (!Number.isFinite(value)) return;
    const prev = t.best;
    if (prev && prev.metric === this.metric && (this.mode === 'max' ? value <= prev.value : value >= prev.value)) return;
    t.best = { metric: this.metric, value, step: t.step };
    await writeCheckpointDir(t.paths.checkpoints, 'best', t.model, t.optimizer, t.state());
  }
}

/** An atomic checkpoint every N steps and at the stop; the newest `keep` stay. */
export class PeriodicCheckpointer implements Hook {
  constructor(
    private readonly everySteps: number,
    private readonly keep = 2,
  ) {
    if (!Number.isInteger(everySteps) || everySteps < 1) throw new Error(`PeriodicCheckpointer: everySteps must be a positive integer, got ${everySteps}`);
    if (!Number.isInteger(keep) || keep < 1) throw new Error(`PeriodicCheckpointer: keep must be a positive integer, got ${keep}`);
  }
  async afterStep(t: HookTrainer): Promise<void> {
    if (t.step % this.everySteps !== 0 && t.step !== t.stopAt) return;
    t.lastCheckpoint = await saveCheckpoint(t.paths.checkpoints, t.model, t.optimizer, t.state(), this.keep);
  }
}

/** Rasterises `panels` of the log to a PNG (atomically) with sharp. */
export async function writeCurvesPng(panels: Panel[], path: string): Promise<void> {
  const png = await sharp(Buffer.from(curvesSvg(panels))).png().toBuffer();
  writeFileAtomic(path, [png]);
}

/**
 * Redraws the PNG curves after each evaluation and at the end. The curves are a by-product:
 * failing to draw them (no sharp) warns once and never stops training.
 */
export class CurvesHook implements Hook {
  private failed = false;
  constructor(private readonly panels: (records: readonly EngineLogRecord[]) => Panel[]) {}
  private async draw(t: HookTrainer): Promise<void> {
    if (this.failed || !t.log) return;
    try {
      await writeCurvesPng(this.panels(t.log.records), t.paths.plot);
    } catch (err) {
      this.failed = true;
      t.progress.message(`warning: could not write ${t.paths.plot}: ${(err as Error).message}`);
    }
  }
  async afterStep(t: HookTrainer): Promise<void> {
    if (t.lastEval?.step === t.step) await this.draw(t);
  }
  async afterTrain(t: HookTrainer): Promise<void> {
    await this.draw(t);
  }
}
