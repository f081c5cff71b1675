export { CocoDetectionDataset, type DetectionDatasetOptions, type DetectionDatasetSummary } from './detection-dataset.js';
export { decodeImage, type DecodeImageOptions, type ImageU8, type PixelImage, type RgbImage } from './image.js';
export { LabelMap, annotationMask, annotationsToTargets, type CrowdPolicy, type DetectionTargets, type TargetOptions } from './targets.js';
