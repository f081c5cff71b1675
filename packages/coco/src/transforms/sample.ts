import type { RgbImage } from '../dataset/image.js';
import type { DetectionTargets } from '../dataset/targets.js';

/** One image with its targets, as datasets produce and transforms pass along. */
export interface DetectionSample extends DetectionTargets {
  imageId: number;
  fileName: string;
  image: RgbImage;
  /** [height, width] of the image as stored, for mapping predictions back. */
  originalSize: [number, number];
  /** [height, width] of the real content; padding (padToMultiple) lies outside it. */
  contentSize: [number, number];
}

/**
 * Where a random transform draws from: uniforms in [0, 1). `SeededRandom` is one, and so is
 * @tfvision/train's `Rng`, which its DetectionLoader hands each sample (a stream of (seed, step)).
 */
export interface UniformSource {
  next(): number;
}

/** An integer in [lo, hi] (both ends included) from one uniform, as `SeededRandom.int`. */
export function uniformInt(rng: UniformSource, lo: number, hi: number): number {
  return lo + Math.floor(rng.next() * (hi - lo + 1));
}

/**
 * The one transform type of the data stack: a pure function of one sample (an image, a detection
 * sample, an image-label pair) that never mutates its input, so a cached sample can be transformed
 * again. Random transforms draw from `rng` so a seeded run repeats exactly; `R` is the generator
 * they need (@tfvision/train's augmentations take its `Rng`, with normal and beta draws).
 * It may map one sample type to another (`Out`), and may be async (decoding, workers).
 */
export type Transform<In = DetectionSample, Out = In, R extends UniformSource = UniformSource> = (input: In, rng: R) => Out | Promise<Out>;

/** A transform that returns at once: what the per-pixel augmentations are, so a chain of them stays synchronous. */
export type SyncTransform<In, Out = In, R extends UniformSource = UniformSource> = (input: In, rng: R) => Out;

/**
 * Applies transforms left to right with the same generator. Synchronous transforms give a
 * synchronous chain; once one returns a promise, the rest run after it and the chain returns one.
 */
export function compose<S, R extends UniformSource = UniformSource>(...transforms: SyncTransform<S, S, R>[]): SyncTransform<S, S, R>;
export function compose<S, R extends UniformSource = UniformSource>(...transforms: Transform<S, S, R>[]): Transform<S, S, R>;
export function compose<S, R extends UniformSource>(...transforms: Transform<S, S, R>[]): Transform<S, S, R> {
  const list = transforms.slice();
  return (input, rng) => {
    let out = input;
    for (let i = 0; i < list.length; i++) {
      const next = list[i](out, rng);
      if (isPromise(next)) return finishAsync(list, i + 1, next, rng);
      out = next;
    }
    return out;
  };
}

async function finishAsync<S, R extends UniformSource>(list: Transform<S, S, R>[], from: number, pending: Promise<S>, rng: R): Promise<S> {
  let out = await pending;
  for (let i = from; i < list.length; i++) out = await list[i](out, rng);
  return out;
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
