/**
 * The loss and learning-rate panels every engine run's curves share (detection, segmentation):
 * each named loss and their sum, smoothed, and the learning rate, against the step.
 */
import type { Panel, Series } from './curves-svg.js';

const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2'];

/** What the panels read of a training log record (the engine's TrainRecord). */
export interface LossPoint {
  step: number;
  loss: number;
  losses: Record<string, number>;
  lr: number;
}

/** A running mean over `window` steps, so the per-step noise of small batches does not hide the trend. */
export function runningMean(points: readonly [number, number][], window: number): [number, number][] {
  if (!Number.isInteger(window) || window < 1) throw new Error(`runningMean: window must be a positive integer, got ${window}`);
  let sum = 0;
  return points.map(([x, y], i) => {
    sum += y;
    if (i >= window) sum -= points[i - window][1];
    return [x, sum / Math.min(i + 1, window)];
  });
}

/**
 * The total and (when there is more than one) each named loss, as a running mean over about a
 * fiftieth of the run.
 */
export function lossPanel(train: readonly LossPoint[]): Panel {
  const window = Math.max(1, Math.round(train.length / 50));
  const names = [...new Set(train.flatMap((r) => Object.keys(r.losses)))];
  const series: Series[] = [
    { label: 'total', color: '#000000', points: runningMean(train.map((r) => [r.step, r.loss]), window) },
    ...(names.length > 1 ? names.map((n, i) => ({ label: n, color: COLOURS[i % COLOURS.length], points: runningMean(train.map((r): [number, number] => [r.step, r.losses[n] ?? NaN]), window) })) : []),
  ];
  return { title: `losses (mean of ${window} steps)`, xLabel: 'step', series };
}

export function learningRatePanel(train: readonly LossPoint[]): Panel {
  return { title: 'learning rate', xLabel: 'step', series: [{ label: 'lr', color: '#ff7f0e', points: train.map((r) => [r.step, r.lr]) }] };
}
