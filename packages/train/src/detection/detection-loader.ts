/**
 * Training batches for detection, a pure function of (seed, step): the epoch's order is a seeded
 * shuffle of (seed, epoch), each sample's augmentation draws from a stream of (seed, epoch,
 * position), and step s is batch s mod stepsPerEpoch of epoch floor(s / stepsPerEpoch). So a run
 * resumed at step s loads exactly the batches an uninterrupted run would, whatever the prefetch.
 * Each epoch drops its last partial batch (every step has batchSize images, as detectron2's
 * infinite sampler gives). The only data-side transform is the horizontal flip: resizing to the
 * model's minSize/maxSize and padding happen in the model's GeneralizedRCNNTransform.
 */
import { SeededRandom, randomHorizontalFlip, type DetectionSample, type Transform } from '@tfvision/coco';
import { Rng } from '../rng.js';

export interface DetectionSampleSource {
  readonly length: number;
  get(i: number): Promise<DetectionSample>;
}

export interface DetectionLoaderOptions {
  batchSize: number;
  seed: number;
  /** Probability of the horizontal flip (0 turns it off). Default 0.5. */
  flipProb?: number;
  /** Steps loaded ahead of the consumer. Default 2. */
  prefetch?: number;
}

/** Where step s falls in the data. */
export interface DataPosition {
  epoch: number;
  batchInEpoch: number;
}

export class DetectionLoader {
  readonly batchSize: number;
  readonly stepsPerEpoch: number;
  private readonly seedRng: Rng;
  private readonly transform: Transform | undefined;
  private readonly prefetch: number;
  private orderCache: { epoch: number; order: number[] } | undefined;

  constructor(
    readonly source: DetectionSampleSource,
    readonly options: DetectionLoaderOptions,
  ) {
    const { batchSize, seed } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`DetectionLoader: batchSize must be a positive integer, got ${batchSize}`);
    if (source.length < batchSize) throw new Error(`DetectionLoader: batchSize ${batchSize} exceeds the ${source.length} training images`);
    const flipProb = options.flipProb ?? 0.5;
    if (!(flipProb >= 0 && flipProb <= 1)) throw new Error(`DetectionLoader: flipProb must be in [0, 1], got ${flipProb}`);
    this.prefetch = options.prefetch ?? 2;
    if (!Number.isInteger(this.prefetch) || this.prefetch < 1) throw new Error(`DetectionLoader: prefetch must be a positive integer, got ${this.prefetch}`);
    this.batchSize = batchSize;
    this.stepsPerEpoch = Math.floor(source.length / batchSize);
    this.seedRng = new Rng(seed);
    this.transform = flipProb > 0 ? randomHorizontalFlip(flipProb) : undefined;
  }

  position(step: number): DataPosition {
    return { epoch: Math.floor(step / this.stepsPerEpoch), batchInEpoch: step % this.stepsPerEpoch };
  }

  /** The dataset indices of epoch `epoch`, in the order they are trained. */
  order(epoch: number): number[] {
    if (this.orderCache?.epoch === epoch) return this.orderCache.order;
    const order = this.seedRng.fork(epoch).shuffle(Array.from({ length: this.source.length }, (_, i) => i));
    this.orderCache = { epoch, order };
    return order;
  }

  /** The (transformed) samples of optimiser step `step`. */
  async batch(step: number): Promise<DetectionSample[]> {
    const { epoch, batchInEpoch } = this.position(step);
    const order = this.order(epoch);
    const epochRng = this.seedRng.fork(epoch);
    const samples: Promise<DetectionSample>[] = [];
    for (let j = 0; j < this.batchSize; j++) {
      const position = batchInEpoch * this.batchSize + j;
      samples.push(
        this.source.get(order[position]).then((s) => {
          if (!this.transform) return s;
          // One stream per (epoch, position), a different one from the shuffle's (stream 0 of the epoch).
          return this.transform(s, new SeededRandom(epochRng.fork(position + 1).nextU32()));
        }),
      );
    }
    return Promise.all(samples);
  }

  /** Batches of steps from..to-1, `prefetch` steps loaded ahead. */
  async *steps(from: number, to: number): AsyncGenerator<{ step: number; samples: DetectionSample[] }> {
    const inFlight: { step: number; samples: Promise<DetectionSample[]> }[] = [];
    let next = from;
    const start = () => {
      const p = this.batch(next);
      p.catch(() => undefined); // surfaced when awaited
      inFlight.push({ step: next++, samples: p });
    };
    while (next < to && inFlight.length < this.prefetch) start();
    while (inFlight.length > 0) {
      const head = inFlight.shift() as { step: number; samples: Promise<DetectionSample[]> };
      const samples = await head.samples;
      if (next < to) start();
      yield { step: head.step, samples };
    }
  }
}
