/** The classification run's log records: engine records (JsonlLog) with the top-1/top-5 evaluation fields. */
import { readJsonlLog } from '../engine/index.js';

export type LogRecord =
  | { type: 'train'; step: number; epoch: number; loss: number; lr: number; imagesPerSecond: number; time: string }
  | { type: 'eval'; step: number; epoch: number; top1: number; top5: number; loss: number; samples: number; time: string };

/** Reads a classification run's JSONL log, skipping a torn last line (a run killed mid-write). */
export function readLog(path: string): LogRecord[] {
  return readJsonlLog(path) as unknown as LogRecord[];
}
