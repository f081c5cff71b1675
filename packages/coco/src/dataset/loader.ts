import { SeededRandom } from '../synth/prng.js';
import { padPlane } from '../transforms/pad.js';
import type { DetectionSample, Transform } from '../transforms/sample.js';

/** Anything indexable that yields samples: CocoDetectionDataset or a user's own. */
export interface SampleSource {
  readonly length: number;
  get(i: number): Promise<DetectionSample>;
}

export interface LoaderOptions {
  batchSize: number;
  /** Shuffle the order each epoch (seeded). Default false. */
  shuffle?: boolean;
  /** Seeds the shuffle and every random transform. Default 0. */
  seed?: number;
  /** Epoch number, mixed into the seed so each epoch has its own order and augmentation. */
  epoch?: number;
  transform?: Transform;
  /** Batches being loaded ahead of the consumer. Default 2. */
  prefetch?: number;
  /** Leave out a last batch smaller than batchSize. Default false. */
  dropLast?: boolean;
  /** The batch's height and width are rounded up to a multiple of this. Default 32. */
  sizeDivisor?: number;
}

/** A batch ready for a tensor: images stacked NHWC and zero-padded to a common size. */
export interface DetectionBatch {
  /** B x H x W x 3, row-major, float32 (uint8 images are converted as 0..255 values). */
  images: Float32Array;
  shape: [number, number, number, 3];
  /** Per sample: its targets; masks are zero-padded to H x W like the images. */
  samples: DetectionSample[];
}

/**
 * Iterates over batches, loading up to `prefetch` batches ahead while the consumer works
 * (decoding runs on sharp's worker threads, so this overlaps I/O and decode with training).
 * Every sample gets its own generator seeded from (seed, epoch, position), so the output is
 * the same however loads interleave.
 */
export async function* loadBatches(source: SampleSource, options: LoaderOptions): AsyncGenerator<DetectionBatch> {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`loadBatches: batchSize must be a positive integer, got ${batchSize}`);
  const prefetch = options.prefetch ?? 2;
  if (!Number.isInteger(prefetch) || prefetch < 1) throw new Error(`loadBatches: prefetch must be a positive integer, got ${prefetch}`);
  const seed = mixSeeds(options.seed ?? 0, options.epoch ?? 0);
  const order = Array.from({ length: source.length }, (_, i) => i);
  if (options.shuffle) shuffleInPlace(order, new SeededRandom(seed));
  const batches: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) {
    const batch = order.slice(i, i + batchSize);
    if (batch.length === batchSize || !options.dropLast) batches.push(batch);
  }

  const loadSample = async (position: number): Promise<DetectionSample> => {
    const sample = await source.get(order[position]);
    return options.transform ? options.transform(sample, new SeededRandom(mixSeeds(seed, position))) : sample;
  };
  const loadBatch = (b: number): Promise<DetectionBatch> =>
    Promise.all(batches[b].map((_, j) => loadSample(b * batchSize + j))).then((samples) => collate(samples, options.sizeDivisor ?? 32));

  const inFlight: Promise<DetectionBatch>[] = [];
  let next = 0;
  const startNext = () => {
    const p = loadBatch(next++);
    // Rejections surface when this batch is awaited; until then, do not report them as unhandled.
    p.catch(() => undefined);
    inFlight.push(p);
  };
  while (next < batches.length && inFlight.length < prefetch) startNext();
  while (inFlight.length > 0) {
    const batch = await (inFlight.shift() as Promise<DetectionBatch>);
    if (next < batches.length) startNext();
    yield batch;
  }
}

/** Combines integers into one 32-bit seed (murmur3's finaliser over a running hash). */
function mixSeeds(...parts: number[]): number {
  let h = 0x2545f491;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0) ^ Math.floor(part / 0x100000000), 0x9e3779b1);
    h ^= h >>> 15;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
  }
  return h >>> 0;
}

function shuffleInPlace(xs: number[], rng: SeededRandom): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
}

/** Stacks images into one zero-padded NHWC array (detectron2's ImageList.from_tensors). */
export function collate(samples: DetectionSample[], sizeDivisor = 32): DetectionBatch {
  const maxH = Math.max(...samples.map((s) => s.image.height));
  const maxW = Math.max(...samples.map((s) => s.image.width));
  const H = Math.ceil(maxH / sizeDivisor) * sizeDivisor;
  const W = Math.ceil(maxW / sizeDivisor) * sizeDivisor;
  const images = new Float32Array(samples.length * H * W * 3);
  const out: DetectionSample[] = samples.map((s, b) => {
    const { width, height, data } = s.image;
    const base = b * H * W * 3;
    for (let y = 0; y < height; y++) {
      const row = data.subarray(y * width * 3, (y + 1) * width * 3);
      images.set(row, base + y * W * 3);
    }
    if (width === W && height === H) return s;
    const pad = (m: Uint8Array) => padPlane(m, width, height, W, H, 1, 0);
    return {
      ...s,
      ...(s.masks ? { masks: s.masks.map(pad) } : {}),
      ...(s.crowdMasks ? { crowdMasks: s.crowdMasks.map(pad) } : {}),
    };
  });
  return { images, shape: [samples.length, H, W, 3], samples: out };
}
