export { pilAxisCoefficients, pilResize, type PilAxisCoefficients, type PilInterpolation } from './pil-resample.js';
export { cmykToRgbPil, decodePilRgb } from './pil-decode.js';
export { evalTransformConfig, scaleSize, timmEvalCrop, type EvalTransformConfig } from './timm-eval-transform.js';
export {
  createEvalLoaderSource, EvalDataset, evalWorkerFactory, listClassFolder, listLabelledFolder, readClassesFile,
  type EvalListing, type EvalSample, type EvalSourceSpec,
} from './eval-dataset.js';
export { ClsAccumulator, topK, type ClassAccuracy, type ClsReport } from './cls-metrics.js';
