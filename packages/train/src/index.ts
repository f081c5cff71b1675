export * from './rng.js';
export * from './data/index.js';
export * from './augment/index.js';
export * from './optim/index.js';
export * from './schedule/index.js';
export * from './loss/index.js';
export * from './config/index.js';
export * from './plot/index.js';
export * from './engine/index.js';
// The engine's and the detection loader's DataPosition are the same shape; name one.
export type { DataPosition } from './engine/index.js';
export * from './trainer/index.js';
export * from './eval-transform/index.js';
export * from './detection/index.js';
export * from './segmentation/index.js';
