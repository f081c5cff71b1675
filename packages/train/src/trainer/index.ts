export * from './batch-source.js';
export * from './checkpoint.js';
export * from './errors.js';
export * from './evaluate.js';
export * from './jsonl-log.js';
export * from './progress.js';
export * from './trainer.js';
export * from './from-config.js';
