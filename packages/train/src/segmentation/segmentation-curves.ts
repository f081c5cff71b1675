/** PNG curve panels of a segmentation run: the losses and their sum, mIoU and pixel accuracy, the learning rate, against the step. */
import type { EngineLogRecord, EvalRecord, TrainRecord } from '../engine/index.js';
import { runStepRange, type Panel } from '../plot/curves-svg.js';
import { learningRatePanel, lossPanel } from '../plot/loss-panels.js';

export function segmentationPanels(records: readonly EngineLogRecord[]): Panel[] {
  const train = records.filter((r): r is TrainRecord => r.type === 'train');
  const evals = records.filter((r): r is EvalRecord => r.type === 'eval');
  const metric = (name: string): [number, number][] => evals.map((r) => [r.step, r.metrics[name] ?? NaN]);
  return [
    lossPanel(train),
    { title: 'evaluation', xLabel: 'step', yRange: [0, 1], xRange: runStepRange(records.map((r) => r.step)), series: [{ label: 'mIoU', color: '#1f77b4', points: metric('mIoU') }, { label: 'pixel accuracy', color: '#2ca02c', points: metric('pixelAccuracy') }] },
    learningRatePanel(train),
  ];
}
