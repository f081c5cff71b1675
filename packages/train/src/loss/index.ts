export * from './soft-target-cross-entropy.js';
