import type { RgbImage } from '../dataset/image.js';
import type { DetectionTargets } from '../dataset/targets.js';
import type { SeededRandom } from '../synth/prng.js';

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
 * A transform returns a new sample; it never mutates its input, so a cached sample can be
 * transformed again. Random transforms draw from `rng` so a seeded run repeats exactly.
 */
export type Transform = (sample: DetectionSample, rng: SeededRandom) => DetectionSample | Promise<DetectionSample>;

/** Applies transforms left to right. */
export function compose(...transforms: Transform[]): Transform {
  return async (sample, rng) => {
    let out = sample;
    for (const t of transforms) out = await t(out, rng);
    return out;
  };
}
