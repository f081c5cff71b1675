/** Panels of a detection run's PNG curves (engine CurvesHook): each loss and their sum, COCO AP (bbox, segm), the learning rate, against the step. */
import { runStepRange, type Panel, type Series } from '../plot/curves-svg.js';
import { learningRatePanel, lossPanel } from '../plot/loss-panels.js';
import type { DetectionEvalRecord, DetectionLogRecord, DetectionTrainRecord } from './detection-log.js';

export function detectionPanels(records: readonly DetectionLogRecord[]): Panel[] {
  const train = records.filter((r): r is DetectionTrainRecord => r.type === 'train');
  const evals = records.filter((r): r is DetectionEvalRecord => r.type === 'eval');
  const apSeries: Series[] = [
    { label: 'bbox AP', color: '#1f77b4', points: evals.map((r) => [r.step, r.bbox.AP]) },
    { label: 'bbox AP50', color: '#aec7e8', points: evals.map((r) => [r.step, r.bbox.AP50]) },
  ];
  if (evals.some((r) => r.segm)) {
    apSeries.push({ label: 'segm AP', color: '#d62728', points: evals.filter((r) => r.segm).map((r) => [r.step, r.segm!.AP]) });
    apSeries.push({ label: 'segm AP50', color: '#ff9896', points: evals.filter((r) => r.segm).map((r) => [r.step, r.segm!.AP50]) });
  }
  return [lossPanel(train), { title: 'COCO AP (eval)', xLabel: 'step', yRange: [0, 1], xRange: runStepRange(records.map((r) => r.step)), series: apSeries }, learningRatePanel(train)];
}
