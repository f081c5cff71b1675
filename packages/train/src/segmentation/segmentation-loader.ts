/**
 * Training batches for segmentation: the step loader (data/step-loader.ts) with the
 * position-stream rule, as the detection loader, so step s's micro-batches are a pure function of
 * (seed, s) whatever the prefetch or worker count. Each epoch drops its last partial batch
 * (torchvision's reference trains with drop_last=True); every crop is cropSize square, so a batch
 * is one NHWC array (segmentation-recipe.ts). With `accumulate` A, optimiser step s takes the
 * micro-batches s·A .. s·A + A − 1.
 */
import type { IndexedDataset } from '../data/batch-recipe.js';
import { positionStreams } from '../data/sampling.js';
import { StepLoader } from '../data/step-loader.js';
import { compiledModule } from '../data/worker-pool.js';
import type { DataPosition, StepSource } from '../engine/step-source.js';
import type { SegmentationSample } from './segmentation-data.js';
import { segmentationRecipe, type SegmentationBatch, type SegmentationRecipeOptions, type SegmentationWorkerSource } from './segmentation-recipe.js';
import type { LabelledImage } from './segmentation-transforms.js';

export type { SegmentationBatch };
export type SegmentationSampleSource = IndexedDataset<SegmentationSample>;

export interface SegmentationLoaderOptions extends SegmentationRecipeOptions {
  batchSize: number;
  seed: number;
  /** Micro-batches per optimiser step. Default 1. */
  accumulate?: number;
  /** Steps loaded ahead of the consumer. Default max(2, workers). */
  prefetch?: number;
  /** Worker threads decoding, augmenting and normalising; 0 (default) loads in-process. */
  workers?: number;
  /** Required when workers > 0: the split the worker threads open again. */
  workerSource?: SegmentationWorkerSource;
}

export class SegmentationLoader implements StepSource<SegmentationBatch> {
  readonly batchSize: number;
  readonly accumulate: number;
  /** Micro-batches per epoch (the last partial one dropped). */
  readonly batchesPerEpoch: number;
  private readonly core: StepLoader<SegmentationSample, LabelledImage, SegmentationBatch>;

  constructor(
    readonly source: SegmentationSampleSource,
    readonly options: SegmentationLoaderOptions,
  ) {
    const { cropSize, scale, flipProb } = options;
    if (!Number.isInteger(cropSize) || cropSize < 1) throw new Error(`SegmentationLoader: cropSize must be a positive integer, got ${cropSize}`);
    if (!(Number.isInteger(scale[0]) && scale[0] >= 1 && Number.isInteger(scale[1]) && scale[1] >= scale[0])) throw new Error(`SegmentationLoader: scale must be integers [min, max] with 1 <= min <= max, got ${JSON.stringify(scale)}`);
    if (!(flipProb >= 0 && flipProb <= 1)) throw new Error(`SegmentationLoader: flipProb must be in [0, 1], got ${flipProb}`);
    const workers = options.workers ?? 0;
    if (workers > 0 && !options.workerSource) throw new Error('SegmentationLoader: workers > 0 needs options.workerSource (the training split the worker threads open again)');
    const recipe: SegmentationRecipeOptions = { scale: [scale[0], scale[1]], cropSize, flipProb, mean: [...options.mean], std: [...options.std] };
    const workerFactory = workers > 0 && options.workerSource
      ? { module: compiledModule(import.meta.url, './segmentation-recipe.js', 'SegmentationLoader'), exportName: 'createSegmentationRecipe', args: { ...options.workerSource, recipe } }
      : undefined;
    this.core = new StepLoader(segmentationRecipe(source, recipe), {
      name: 'SegmentationLoader', batchSize: options.batchSize, rule: positionStreams(options.seed), accumulate: options.accumulate, prefetch: options.prefetch, workers, workerFactory,
    });
    this.batchSize = this.core.batchSize;
    this.accumulate = this.core.accumulate;
    this.batchesPerEpoch = this.core.batchesPerEpoch;
  }

  /** Where micro-batch `index` (step · accumulate + micro) lies. */
  batchPosition(index: number): DataPosition {
    return this.core.batchPosition(index);
  }

  /** Where optimiser step `step`'s first micro-batch lies, batchInEpoch counted in steps (the engine's StepSource). */
  position(step: number): DataPosition {
    return this.core.position(step);
  }

  /** The dataset indices of epoch `epoch`, in training order. */
  order(epoch: number): number[] {
    return Array.from(this.core.order(epoch));
  }

  /** The augmented, normalised micro-batch `index` of the run (step · accumulate + micro). */
  batch(index: number): Promise<SegmentationBatch> {
    return this.core.batch(index);
  }

  /** The micro-batches of optimiser steps from..to-1, `prefetch` steps loaded ahead. */
  steps(from: number, to: number): AsyncGenerator<{ step: number; batches: SegmentationBatch[] }> {
    return this.core.steps(from, to);
  }

  /** Stops the worker threads; safe to call more than once. */
  close(): Promise<void> {
    return this.core.close();
  }
}
