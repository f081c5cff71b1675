export { CocoEval } from './coco/cocoeval.js';
export { evaluateCoco, type CocoEvalSummary } from './coco/evaluate-coco.js';
export {
  defaultParams,
  linspace,
  parseParamsOverrides,
  checkSummarizable,
  DEFAULT_AREA_RANGES,
  DEFAULT_AREA_LABELS,
  type CocoEvalParams,
  type IouType,
  type ParamsOverrides,
} from './coco/params.js';
export type { CocoEvalResult } from './coco/types.js';
export { ClassificationMetrics, topKAccuracy, type ClassificationReport } from './classification/classification-metrics.js';
export { SegmentationMetrics, type SegmentationReport } from './segmentation/segmentation-metrics.js';
