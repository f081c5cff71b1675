/** PNG curve panels of a segmentation run: the losses and their sum, mIoU and pixel accuracy, the learning rate, against the step. */
import type { EngineLogRecord, EvalRecord, TrainRecord } from '../engine/index.js';
import type { Panel, Series } from '../plot/curves-svg.js';

const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'];

/** A running mean over `window` steps, so the per-step noise of small batches does not hide the trend. */
function smooth(points: [number, number][], window: number): [number, number][] {
  let sum = 0;
  return points.map(([x, y], i) => {
    sum += y;
    if (i >= window) sum -= points[i - window][1];
    return [x, sum / Math.min(i + 1, window)];
  });
}

export function segmentationPanels(records: readonly EngineLogRecord[]): Panel[] {
  const train = records.filter((r): r is TrainRecord => r.type === 'train');
  const evals = records.filter((r): r is EvalRecord => r.type === 'eval');
  const window = Math.max(1, Math.round(train.length / 50));
  const names = [...new Set(train.flatMap((r) => Object.keys(r.losses)))];
  const losses: Series[] = [
    { label: 'total', color: '#000000', points: smooth(train.map((r) => [r.step, r.loss]), window) },
    ...(names.length > 1 ? names.map((n, i) => ({ label: n, color: COLOURS[i % COLOURS.length], points: smooth(train.map((r): [number, number] => [r.step, r.losses[n] ?? NaN]), window) })) : []),
  ];
  const metric = (name: string): [number, number][] => evals.map((r) => [r.step, r.metrics[name] ?? NaN]);
  return [
    { title: `losses (mean of ${window} steps)`, xLabel: 'step', series: losses },
    { title: 'evaluation', xLabel: 'step', yRange: [0, 1], series: [{ label: 'mIoU', color: '#1f77b4', points: metric('mIoU') }, { label: 'pixel accuracy', color: '#2ca02c', points: metric('pixelAccuracy') }] },
    { title: 'learning rate', xLabel: 'step', series: [{ label: 'lr', color: '#ff7f0e', points: train.map((r) => [r.step, r.lr]) }] },
  ];
}
