/**
 * The detection run's log records: engine records (engine/jsonl-log.ts) whose eval records carry
 * the COCO numbers (bbox, and segm for mask models) beside the engine's metrics
 * ("bbox/AP", "bbox/AP50", ...).
 */
import { readJsonlLog, type TrainRecord } from '../engine/index.js';

export type DetectionTrainRecord = TrainRecord;

export interface DetectionEvalRecord {
  type: 'eval';
  step: number;
  epoch: number;
  metrics: Record<string, number>;
  bbox: { AP: number; AP50: number; AP75: number; stats: number[] };
  segm?: { AP: number; AP50: number; AP75: number; stats: number[] };
  images: number;
  detections: number;
  time: string;
}

export type DetectionLogRecord = DetectionTrainRecord | DetectionEvalRecord;

/** Reads a detection run's JSONL log, skipping a torn last line (a run killed mid-write). */
export function readDetectionLog(path: string): DetectionLogRecord[] {
  return readJsonlLog(path) as unknown as DetectionLogRecord[];
}
