export { compose, uniformInt, type DetectionSample, type SyncTransform, type Transform, type UniformSource } from './sample.js';
export { flipLeftRight, horizontalFlip, randomHorizontalFlip } from './flip.js';
export { normalize, type NormalizeOptions } from './normalize.js';
export { padToMultiple } from './pad.js';
export { resizeNearest, resizeSample, resizeShortestEdge, shortestEdgeSize, type ResizeShortestEdgeOptions } from './resize.js';
