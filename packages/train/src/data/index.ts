export type { ClassificationSample, ClassificationDataset, Batch, LoaderOptions } from './types.js';
