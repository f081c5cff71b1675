/**
 * Training batches for detection: the step loader (data/step-loader.ts) with the position-stream
 * rule, so step s's batch is a pure function of (seed, s) and a resumed run loads what an
 * uninterrupted one would, whatever the prefetch or worker count. Each epoch drops its last
 * partial batch (every step has batchSize images, as detectron2's infinite sampler gives). The
 * data-side transform is the recipes' horizontal flip, or (in-process) any @tfvision/coco
 * transform given as `transform`. With `aspectGroups` each batch holds images of one aspect-ratio
 * group, so batch padding wastes less.
 */
import { randomHorizontalFlip, type DetectionSample, type Transform } from '@tfvision/coco';
import type { IndexedDataset } from '../data/batch-recipe.js';
import { aspectRatioGrouped, positionStreams } from '../data/sampling.js';
import { StepLoader } from '../data/step-loader.js';
import { compiledModule } from '../data/worker-pool.js';
import type { DataPosition } from '../engine/step-source.js';
import { detectionRecipe, type DetectionWorkerSource } from './detection-recipe.js';

export type DetectionSampleSource = IndexedDataset<DetectionSample>;

export interface DetectionLoaderOptions {
  batchSize: number;
  seed: number;
  /** Probability of the horizontal flip (0 turns it off). Default 0.5. */
  flipProb?: number;
  /**
   * The per-sample transform in place of the flip: any @tfvision/coco transform or `compose` of
   * them (resizeShortestEdge, randomHorizontalFlip, normalize, ...), drawing from the sample's
   * generator. In-process only (a closure cannot cross to a worker thread); not with flipProb.
   */
  transform?: Transform;
  /** Steps loaded ahead of the consumer. Default max(2, workers). */
  prefetch?: number;
  /** Worker threads decoding and flipping; 0 (default) loads in-process. */
  workers?: number;
  /** Required when workers > 0: the split the worker threads open again. */
  workerSource?: DetectionWorkerSource;
  /**
   * Each sample's aspect-ratio group (DetectionTrainSet.aspectGroups()): when given, every batch
   * holds one group's images (sampling.ts aspectRatioGrouped).
   */
  aspectGroups?: ArrayLike<number>;
}

export type { DataPosition };

export class DetectionLoader {
  readonly batchSize: number;
  readonly stepsPerEpoch: number;
  private readonly core: StepLoader<DetectionSample, DetectionSample, DetectionSample[]>;

  constructor(
    readonly source: DetectionSampleSource,
    readonly options: DetectionLoaderOptions,
  ) {
    const flipProb = options.flipProb ?? 0.5;
    if (!(flipProb >= 0 && flipProb <= 1)) throw new Error(`DetectionLoader: flipProb must be in [0, 1], got ${flipProb}`);
    const workers = options.workers ?? 0;
    if (options.transform && options.flipProb !== undefined) throw new Error('DetectionLoader: give flipProb or transform, not both (compose randomHorizontalFlip into the transform)');
    if (options.transform && workers > 0) throw new Error('DetectionLoader: a custom transform runs in-process only (workers must be 0): worker threads cannot receive a closure');
    if (workers > 0 && !options.workerSource) throw new Error('DetectionLoader: workers > 0 needs options.workerSource (the training split the worker threads open again)');
    const workerFactory = workers > 0 && options.workerSource
      ? { module: compiledModule(import.meta.url, './detection-recipe.js', 'DetectionLoader'), exportName: 'createDetectionRecipe', args: { ...options.workerSource, flipProb } }
      : undefined;
    if (options.aspectGroups && options.aspectGroups.length !== source.length) {
      throw new Error(`DetectionLoader: aspectGroups has ${options.aspectGroups.length} entries for ${source.length} training images`);
    }
    const rule = options.aspectGroups ? aspectRatioGrouped(positionStreams(options.seed), options.aspectGroups, options.batchSize) : positionStreams(options.seed);
    this.core = new StepLoader(detectionRecipe(source, options.transform ?? randomHorizontalFlip(flipProb)), {
      name: 'DetectionLoader', batchSize: options.batchSize, rule, prefetch: options.prefetch, workers, workerFactory,
    });
    this.batchSize = this.core.batchSize;
    this.stepsPerEpoch = this.core.batchesPerEpoch;
  }

  position(step: number): DataPosition {
    return this.core.position(step);
  }

  /** The dataset indices of epoch `epoch`, in the order they are trained. */
  order(epoch: number): number[] {
    return Array.from(this.core.order(epoch));
  }

  /** The (transformed) samples of optimiser step `step`. */
  batch(step: number): Promise<DetectionSample[]> {
    return this.core.batch(step);
  }

  /** Batches of steps from..to-1, `prefetch` steps loaded ahead. */
  async *steps(from: number, to: number): AsyncGenerator<{ step: number; samples: DetectionSample[] }> {
    for await (const { step, batches } of this.core.steps(from, to)) yield { step, samples: batches[0] };
  }

  /** Stops the worker threads; safe to call more than once. */
  close(): Promise<void> {
    return this.core.close();
  }
}
