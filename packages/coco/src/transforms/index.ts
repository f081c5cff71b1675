export { compose, type DetectionSample, type Transform } from './sample.js';
export { horizontalFlip, randomHorizontalFlip } from './flip.js';
export { normalize, type NormalizeOptions } from './normalize.js';
export { padToMultiple } from './pad.js';
export { resizeNearest, resizeSample, resizeShortestEdge, shortestEdgeSize, type ResizeShortestEdgeOptions } from './resize.js';
