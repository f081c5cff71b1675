export type { Batch, ClassificationDataset, ClassificationSample, LoaderOptions } from './types.js';
