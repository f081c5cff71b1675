export * from './batch-source.js';
export * from './classification-step.js';
export * from './epoch-steps.js';
export * from './evaluate.js';
export * from './jsonl-log.js';
export * from './trainer.js';
export * from './from-config.js';
