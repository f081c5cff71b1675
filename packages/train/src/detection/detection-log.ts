/**
 * The detection run's JSONL log: a `train` record per step with every loss of the model's loss
 * dict, their sum and the learning rate, and an `eval` record per evaluation with the COCO
 * numbers. On resume, records after the checkpoint's step (written by the interrupted run) are
 * dropped, so the log reads as one uninterrupted run.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '@tfvision/nn';

export interface DetectionTrainRecord {
  type: 'train';
  step: number;
  epoch: number;
  lr: number;
  /** Sum of the losses (what the gradients are of). */
  loss: number;
  losses: Record<string, number>;
  /** Gradient norm before clipping (when clipping is on). */
  gradNorm?: number;
  stepsPerSecond: number;
  imagesPerSecond: number;
  time: string;
}

export interface DetectionEvalRecord {
  type: 'eval';
  step: number;
  epoch: number;
  bbox: { AP: number; AP50: number; AP75: number; stats: number[] };
  segm?: { AP: number; AP50: number; AP75: number; stats: number[] };
  images: number;
  detections: number;
  time: string;
}

export type DetectionLogRecord = DetectionTrainRecord | DetectionEvalRecord;

export function readDetectionLog(path: string): DetectionLogRecord[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n');
  const out: DetectionLogRecord[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line) as DetectionLogRecord);
    } catch (err) {
      // A torn last line is a run killed mid-write; anything else is a broken file.
      if (lines.slice(i + 1).some((l) => l.trim() !== '')) throw new Error(`${path}:${i + 1}: not JSON (${(err as Error).message})`);
    }
  });
  return out;
}

export class DetectionLog {
  readonly records: DetectionLogRecord[];

  /** A new log (truncating `path`), or with `resumeStep` the old one up to that step. */
  constructor(
    readonly path: string,
    resumeStep?: number,
  ) {
    // Train record `step` is the step just completed (1-based), so a checkpoint at step s keeps records <= s.
    this.records = resumeStep === undefined ? [] : readDetectionLog(path).filter((r) => r.step <= resumeStep);
    writeFileAtomic(path, [new TextEncoder().encode(this.records.map((r) => `${JSON.stringify(r)}\n`).join(''))]);
  }

  write(r: DetectionLogRecord): void {
    this.records.push(r);
    appendFileSync(this.path, `${JSON.stringify(r)}\n`);
  }
}
