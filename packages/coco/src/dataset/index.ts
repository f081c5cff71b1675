export { CocoDetectionDataset, type DetectionDatasetOptions, type DetectionDatasetSummary } from './detection-dataset.js';
export { decodeImage, type DecodeImageOptions, type RgbImage } from './image.js';
export { LabelMap, annotationMask, annotationsToTargets, type CrowdPolicy, type DetectionTargets, type TargetOptions } from './targets.js';
