export * from './types.js';
export * from './schema.js';
export * from './validate.js';
export * from './load.js';
export * from './model-args.js';
