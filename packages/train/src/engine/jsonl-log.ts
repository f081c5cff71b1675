/**
 * The run's JSONL log (detectron2's JSONWriter): a `train` record per logged step with every loss
 * of the loss dict, their sum and the learning rate, and an `eval` record per evaluation with its
 * metrics and the task's own fields. On resume, records after the checkpoint's step (written by
 * the interrupted run) are dropped, so the log reads as one uninterrupted run.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '@tfvision/nn';

export interface TrainRecord {
  type: 'train';
  /** Steps completed (1-based). */
  step: number;
  epoch: number;
  /** Sum of the losses (what the gradients are of), averaged over the step's micro-batches. */
  loss: number;
  losses: Record<string, number>;
  lr: number;
  /** Gradient norm before clipping (when clipping is on). */
  gradNorm?: number;
  stepsPerSecond: number;
  imagesPerSecond: number;
  time: string;
}

export interface EvalRecord {
  type: 'eval';
  step: number;
  epoch: number;
  /** Scalar metrics by name ("top1", "bbox/AP", "mIoU"). */
  metrics: Record<string, number>;
  time: string;
  /** The task's own fields (top1/top5, bbox/segm stats, images...). */
  [field: string]: unknown;
}

export type EngineLogRecord = TrainRecord | EvalRecord;

/** Reads a JSONL log, skipping a torn last line (a run killed mid-write). */
export function readJsonlLog(path: string): EngineLogRecord[] {
  if (!existsSync(path)) return [];
  const out: EngineLogRecord[] = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line) as EngineLogRecord);
    } catch (err) {
      if (lines.slice(i + 1).some((l) => l.trim() !== '')) throw new Error(`${path}:${i + 1}: not JSON (${(err as Error).message})`);
    }
  });
  return out;
}

/** Append-only JSONL log of train and eval records. */
export class JsonlLog {
  readonly records: EngineLogRecord[];

  /** A new log (truncating `path`), or with `resumeStep` the old one up to that step. */
  constructor(
    readonly path: string,
    resumeStep?: number,
  ) {
    this.records = resumeStep === undefined ? [] : readJsonlLog(path).filter((r) => r.step <= resumeStep);
    writeFileAtomic(path, [new TextEncoder().encode(this.records.map((r) => `${JSON.stringify(r)}\n`).join(''))]);
  }

  write(r: EngineLogRecord): void {
    this.records.push(r);
    appendFileSync(this.path, `${JSON.stringify(r)}\n`);
  }
}
