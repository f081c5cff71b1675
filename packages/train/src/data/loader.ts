/**
 * Classification's epoch-based batch loader on the step loader (step-loader.ts) with the
 * index-stream rule: batch b of epoch e holds the samples epochOrder(seed, e)[b*B .. b*B+B), each
 * augmented with sampleRng(seed, e, index), so the batches are the same for any worker count and
 * when resuming at any batch.
 */
import { checkNormalization, classificationRecipe } from './classification-recipe.js';
import { indexStreams } from './sampling.js';
import { StepLoader } from './step-loader.js';
import type { Batch, ClassificationDataset, ClassificationSample, LoaderOptions } from './types.js';
import { compiledModule } from './worker-pool.js';

export class DataLoader {
  private readonly core: StepLoader<ClassificationSample, ClassificationSample, Batch>;
  private closed = false;

  constructor(ds: ClassificationDataset, o: LoaderOptions) {
    if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new Error(`DataLoader: batchSize must be a positive integer, got ${o.batchSize}`);
    if (!Number.isInteger(o.seed) || o.seed < 0) throw new Error(`DataLoader: seed must be an integer >= 0, got ${o.seed}`);
    const workers = o.workers ?? 0;
    if (!Number.isInteger(workers) || workers < 0) throw new Error(`DataLoader: workers must be an integer >= 0, got ${workers}`);
    const prefetch = o.prefetch ?? Math.max(2, 2 * workers);
    if (!Number.isInteger(prefetch) || prefetch < 1) throw new Error(`DataLoader: prefetch must be an integer >= 1, got ${prefetch}`);
    if (typeof o.transform !== 'function') throw new Error('DataLoader: transform must be a function (img, rng) => img');
    checkNormalization(o.mean, o.std);
    if (workers > 0 && !o.workerFactory) {
      throw new Error('DataLoader: workers > 0 needs options.workerFactory (a JS module the worker threads import to rebuild the dataset and transform; closures cannot cross threads)');
    }
    if (ds.length === 0) throw new Error('DataLoader: the dataset is empty');
    const workerFactory = workers > 0 && o.workerFactory
      ? { module: compiledModule(import.meta.url, './classification-recipe.js', 'DataLoader'), exportName: 'createClassificationRecipe', args: { source: o.workerFactory, mean: o.mean, std: o.std } }
      : undefined;
    this.core = new StepLoader(classificationRecipe(ds, o.transform, o.mean, o.std), {
      name: 'DataLoader', batchSize: o.batchSize, rule: indexStreams(o.seed, o.shuffle), dropLast: o.dropLast, prefetch, workers, workerFactory,
    });
  }

  batchesPerEpoch(): number {
    return this.core.batchesPerEpoch;
  }

  /** Batches of `epoch` from `startBatch` on; the iteration may be abandoned at any point. */
  epoch(epoch: number, startBatch = 0): AsyncIterable<Batch> {
    if (this.closed) throw new Error('DataLoader: epoch() after close()');
    if (!Number.isInteger(epoch) || epoch < 0) throw new Error(`DataLoader: epoch must be an integer >= 0, got ${epoch}`);
    const total = this.batchesPerEpoch();
    if (!Number.isInteger(startBatch) || startBatch < 0 || startBatch > total) {
      throw new Error(`DataLoader: startBatch must be an integer in 0..${total}, got ${startBatch}`);
    }
    return { [Symbol.asyncIterator]: () => this.core.epoch(epoch, startBatch) };
  }

  /** Stops the worker threads; safe to call more than once. */
  async close(): Promise<void> {
    this.closed = true;
    await this.core.close();
  }
}
