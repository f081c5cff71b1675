/** Panels of a detection run's PNG curves (engine CurvesHook): each loss and their sum, COCO AP (bbox, segm), the learning rate, against the step. */
import type { Panel, Series } from '../plot/curves-svg.js';
import type { DetectionEvalRecord, DetectionLogRecord, DetectionTrainRecord } from './detection-log.js';

const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2'];

/** A running mean over `window` steps, so the per-step noise of small batches does not hide the trend. */
function smooth(points: [number, number][], window: number): [number, number][] {
  let sum = 0;
  return points.map(([x, y], i) => {
    sum += y;
    if (i >= window) sum -= points[i - window][1];
    return [x, sum / Math.min(i + 1, window)];
  });
}

export function detectionPanels(records: readonly DetectionLogRecord[]): Panel[] {
  const train = records.filter((r): r is DetectionTrainRecord => r.type === 'train');
  const evals = records.filter((r): r is DetectionEvalRecord => r.type === 'eval');
  const window = Math.max(1, Math.round(train.length / 50));
  const names = [...new Set(train.flatMap((r) => Object.keys(r.losses)))];
  const lossSeries: Series[] = [
    { label: 'total', color: '#000000', points: smooth(train.map((r) => [r.step, r.loss]), window) },
    ...names.map((n, i) => ({ label: n, color: COLOURS[i % COLOURS.length], points: smooth(train.map((r): [number, number] => [r.step, r.losses[n] ?? NaN]), window) })),
  ];
  const apSeries: Series[] = [
    { label: 'bbox AP', color: '#1f77b4', points: evals.map((r) => [r.step, r.bbox.AP]) },
    { label: 'bbox AP50', color: '#aec7e8', points: evals.map((r) => [r.step, r.bbox.AP50]) },
  ];
  if (evals.some((r) => r.segm)) {
    apSeries.push({ label: 'segm AP', color: '#d62728', points: evals.filter((r) => r.segm).map((r) => [r.step, r.segm!.AP]) });
    apSeries.push({ label: 'segm AP50', color: '#ff9896', points: evals.filter((r) => r.segm).map((r) => [r.step, r.segm!.AP50]) });
  }
  return [
    { title: `losses (mean of ${window} steps)`, xLabel: 'step', series: lossSeries },
    { title: 'COCO AP (eval)', xLabel: 'step', yRange: [0, 1], series: apSeries },
    { title: 'learning rate', xLabel: 'step', series: [{ label: 'lr', color: '#ff7f0e', points: train.map((r) => [r.step, r.lr]) }] },
  ];
}
