import type { Batch } from '../data/index.js';

/** What the trainer reads batches from; DataLoader is one. Order must depend on (epoch, batch) only. */
export interface BatchSource {
  batchesPerEpoch(): number;
  epoch(epoch: number, startBatch?: number): AsyncIterable<Batch>;
}
