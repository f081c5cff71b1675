/**
 * Training batches for segmentation, a pure function of (seed, step), as the detection loader:
 * the epoch's order is a seeded shuffle of (seed, epoch), each sample's augmentation (scale,
 * flip, crop) draws from a stream of (seed, epoch, position), and step s is batch
 * s mod stepsPerEpoch of epoch floor(s / stepsPerEpoch). So a run resumed at step s loads the
 * batches an uninterrupted run would, whatever the prefetch. Each epoch drops its last partial
 * batch (torchvision's reference trains with drop_last=True); every crop is cropSize square, so
 * a batch is one NHWC array, normalised to the model's mean/std. With `accumulate` A, optimiser
 * step s takes the micro-batches s·A .. s·A + A − 1 of that sequence (the engine's StepSource).
 */
import type { DataPosition, StepSource } from '../engine/step-source.js';
import { Rng } from '../rng.js';
import type { SegmentationSample } from './segmentation-data.js';
import { normaliseInto, segmentationTrainAugment, type TrainAugmentOptions } from './segmentation-transforms.js';

export interface SegmentationSampleSource {
  readonly length: number;
  get(i: number): Promise<SegmentationSample>;
}

export interface SegmentationLoaderOptions extends TrainAugmentOptions {
  batchSize: number;
  seed: number;
  /** The model's per-channel mean and std on [0, 1] RGB. */
  mean: readonly number[];
  std: readonly number[];
  /** Micro-batches per optimiser step. Default 1. */
  accumulate?: number;
  /** Steps loaded ahead of the consumer. Default 2. */
  prefetch?: number;
}

/** One training batch: images NHWC [n, size, size, 3] normalised, labels [n · size · size] (255 ignored). */
export interface SegmentationBatch {
  images: Float32Array;
  labels: Int32Array;
  n: number;
  size: number;
  /** Dataset index of each sample. */
  indices: number[];
}

export class SegmentationLoader implements StepSource<SegmentationBatch> {
  readonly batchSize: number;
  readonly accumulate: number;
  /** Micro-batches per epoch (the last partial one dropped). */
  readonly batchesPerEpoch: number;
  private readonly seedRng: Rng;
  private readonly prefetch: number;
  private orderCache: { epoch: number; order: number[] } | undefined;

  constructor(
    readonly source: SegmentationSampleSource,
    readonly options: SegmentationLoaderOptions,
  ) {
    const { batchSize, seed, cropSize, scale, flipProb } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`SegmentationLoader: batchSize must be a positive integer, got ${batchSize}`);
    if (source.length < batchSize) throw new Error(`SegmentationLoader: batchSize ${batchSize} exceeds the ${source.length} training images`);
    if (!Number.isInteger(cropSize) || cropSize < 1) throw new Error(`SegmentationLoader: cropSize must be a positive integer, got ${cropSize}`);
    if (!(Number.isInteger(scale[0]) && scale[0] >= 1 && Number.isInteger(scale[1]) && scale[1] >= scale[0])) throw new Error(`SegmentationLoader: scale must be integers [min, max] with 1 <= min <= max, got ${JSON.stringify(scale)}`);
    if (!(flipProb >= 0 && flipProb <= 1)) throw new Error(`SegmentationLoader: flipProb must be in [0, 1], got ${flipProb}`);
    this.prefetch = options.prefetch ?? 2;
    if (!Number.isInteger(this.prefetch) || this.prefetch < 1) throw new Error(`SegmentationLoader: prefetch must be a positive integer, got ${this.prefetch}`);
    this.accumulate = options.accumulate ?? 1;
    if (!Number.isInteger(this.accumulate) || this.accumulate < 1) throw new Error(`SegmentationLoader: accumulate must be a positive integer, got ${this.accumulate}`);
    this.batchSize = batchSize;
    this.batchesPerEpoch = Math.floor(source.length / batchSize);
    this.seedRng = new Rng(seed);
  }

  /** Where micro-batch `index` (step · accumulate + micro) lies. */
  batchPosition(index: number): DataPosition {
    return { epoch: Math.floor(index / this.batchesPerEpoch), batchInEpoch: index % this.batchesPerEpoch };
  }

  /** Where optimiser step `step`'s first micro-batch lies, batchInEpoch counted in steps (the engine's StepSource). */
  position(step: number): DataPosition {
    const p = this.batchPosition(step * this.accumulate);
    return { epoch: p.epoch, batchInEpoch: Math.floor(p.batchInEpoch / this.accumulate) };
  }

  /** The dataset indices of epoch `epoch`, in training order. */
  order(epoch: number): number[] {
    if (this.orderCache?.epoch === epoch) return this.orderCache.order;
    const order = this.seedRng.fork(epoch).shuffle(Array.from({ length: this.source.length }, (_, i) => i));
    this.orderCache = { epoch, order };
    return order;
  }

  /** The augmented, normalised micro-batch `index` of the run (step · accumulate + micro). */
  async batch(index: number): Promise<SegmentationBatch> {
    if (!(Number.isInteger(index) && index >= 0)) throw new Error(`SegmentationLoader.batch: index must be a non-negative integer, got ${index}`);
    const { epoch, batchInEpoch } = this.batchPosition(index);
    const order = this.order(epoch);
    const epochRng = this.seedRng.fork(epoch);
    const { batchSize: n, options: o } = this;
    const size = o.cropSize;
    const plane = size * size;
    const images = new Float32Array(n * plane * 3);
    const labels = new Int32Array(n * plane);
    const indices = Array.from({ length: n }, (_, j) => order[batchInEpoch * n + j]);
    await Promise.all(
      indices.map(async (index, j) => {
        const sample = await this.source.get(index);
        // One stream per (epoch, position), apart from the shuffle's (stream 0 of the epoch).
        const rng = epochRng.fork(batchInEpoch * n + j + 1);
        const { image, label } = segmentationTrainAugment(sample, o, rng);
        normaliseInto(image, o.mean, o.std, images, j * plane * 3);
        labels.set(label.data, j * plane);
      }),
    );
    return { images, labels, n, size, indices };
  }

  /** The micro-batches of optimiser steps from..to-1, `prefetch` steps loaded ahead. */
  async *steps(from: number, to: number): AsyncGenerator<{ step: number; batches: SegmentationBatch[] }> {
    const inFlight: { step: number; batches: Promise<SegmentationBatch[]> }[] = [];
    let next = from;
    const start = () => {
      const A = this.accumulate;
      const p = Promise.all(Array.from({ length: A }, (_, k) => this.batch(next * A + k)));
      p.catch(() => undefined); // surfaced when awaited
      inFlight.push({ step: next++, batches: p });
    };
    while (next < to && inFlight.length < this.prefetch) start();
    while (inFlight.length > 0) {
      const head = inFlight.shift() as { step: number; batches: Promise<SegmentationBatch[]> };
      const batches = await head.batches;
      if (next < to) start();
      yield { step: head.step, batches };
    }
  }
}
