export * from './types.js';
export * from './schema.js';
export * from './validate.js';
export * from './load.js';
export * from './model-args.js';
export * from './common-specs.js';
export * from './data-splits.js';
export * from './backbone-weights.js';
