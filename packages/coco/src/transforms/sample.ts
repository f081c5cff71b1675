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
 * A transform returns a new sample; it never mutates its input, so a cached sample can be
 * transformed again. Random transforms draw from `rng` so a seeded run repeats exactly.
 */
export type Transform = (sample: DetectionSample, rng: UniformSource) => DetectionSample | Promise<DetectionSample>;

/** Applies transforms left to right. */
export function compose(...transforms: Transform[]): Transform {
  return async (sample, rng) => {
    let out = sample;
    for (const t of transforms) out = await t(out, rng);
    return out;
  };
}
