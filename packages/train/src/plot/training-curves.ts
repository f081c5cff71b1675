import sharp from 'sharp';
import { writeFileAtomic } from '@tfvision/nn';
import type { LogRecord } from '../trainer/jsonl-log.js';
import { curvesSvg, runStepRange, type Panel } from './curves-svg.js';

/** The three panels of a run: training loss, evaluation accuracy, learning rate (x = step). */
export function trainingPanels(records: readonly LogRecord[]): Panel[] {
  const train = records.filter((r): r is Extract<LogRecord, { type: 'train' }> => r.type === 'train');
  const evals = records.filter((r): r is Extract<LogRecord, { type: 'eval' }> => r.type === 'eval');
  return [
    { title: 'loss', xLabel: 'step', series: [{ label: 'train', color: '#1f77b4', points: train.map((r) => [r.step, r.loss]) }, { label: 'eval', color: '#d62728', points: evals.map((r) => [r.step, r.loss]) }] },
    { title: 'accuracy (eval)', xLabel: 'step', yRange: [0, 1], xRange: runStepRange(records.map((r) => r.step)), series: [{ label: 'top-1', color: '#2ca02c', points: evals.map((r) => [r.step, r.top1]) }, { label: 'top-5', color: '#9467bd', points: evals.map((r) => [r.step, r.top5]) }] },
    { title: 'learning rate', xLabel: 'step', series: [{ label: 'lr', color: '#ff7f0e', points: train.map((r) => [r.step, r.lr]) }] },
  ];
}

/** Rasterises the curves of `records` to a PNG at `path` (atomically) with sharp. */
export async function writeTrainingCurves(records: readonly LogRecord[], path: string): Promise<void> {
  const svg = curvesSvg(trainingPanels(records));
  const png = await sharp(Buffer.from(svg)).png().toBuffer();
  writeFileAtomic(path, [png]);
}
