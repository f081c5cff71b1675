/**
 * BalancedPositiveNegativeSampler equal to torchvision 0.14 `models/detection/_utils.py`: per
 * image, positives are labels >= 1, negatives labels == 0 (-1 is ignored);
 * numPos = min(#pos, int(batchSizePerImage * positiveFraction)),
 * numNeg = min(#neg, batchSizePerImage - numPos), and the first numPos / numNeg entries of a
 * random permutation of each set are taken. Results are 0/1 masks per image, as torchvision's.
 * torch's randperm stream cannot be reproduced, so the permutations come from a seeded
 * generator, or from `randperm` (a test hook: feed torch's draws, in torchvision's call order -
 * per image, positives then negatives - and the masks equal torchvision's exactly).
 */
import * as tf from '@tensorflow/tfjs-core';
import { SeededRng } from './seeded-rng.js';

/** Returns a permutation of 0..n-1 (only its first entries are used). */
export type RandpermSource = (n: number) => ArrayLike<number>;

export interface BalancedSamplerOptions {
  /** Seed of the default permutation source (default 0). */
  seed?: number;
  /** Replaces the seeded permutations, e.g. with torch.randperm draws recorded by a reference run. */
  randperm?: RandpermSource;
}

export interface SampledMasks<T> {
  positive: T[];
  negative: T[];
}

export class BalancedPositiveNegativeSampler {
  private readonly randperm: RandpermSource;

  constructor(
    readonly batchSizePerImage: number,
    readonly positiveFraction: number,
    options: BalancedSamplerOptions = {},
  ) {
    if (!Number.isInteger(batchSizePerImage) || batchSizePerImage < 0) {
      throw new Error(`BalancedPositiveNegativeSampler: batchSizePerImage must be an integer >= 0, got ${batchSizePerImage}`);
    }
    if (!(positiveFraction >= 0 && positiveFraction <= 1)) {
      throw new Error(`BalancedPositiveNegativeSampler: positiveFraction must be in [0, 1], got ${positiveFraction}`);
    }
    if (options.randperm) {
      this.randperm = options.randperm;
    } else {
      const rng = new SeededRng(options.seed ?? 0);
      this.randperm = (n) => rng.randperm(n);
    }
  }

  /** Per-image label tensors (int32 or float32 [N_i]) -> int32 0/1 masks of the sampled positives and negatives. */
  sample(labels: readonly tf.Tensor1D[]): SampledMasks<tf.Tensor1D> {
    const positive: tf.Tensor1D[] = [];
    const negative: tf.Tensor1D[] = [];
    for (const [i, l] of labels.entries()) {
      if (l.rank !== 1) throw new Error(`BalancedPositiveNegativeSampler: labels[${i}] must have shape [N], got [${l.shape.join(', ')}]`);
      const masks = this.sampleMasks(l.dataSync());
      positive.push(tf.tensor1d(Int32Array.from(masks.positive), 'int32'));
      negative.push(tf.tensor1d(Int32Array.from(masks.negative), 'int32'));
    }
    return { positive, negative };
  }

  /** Host core of sample for one image. */
  sampleMasks(labels: ArrayLike<number>): { positive: Uint8Array; negative: Uint8Array } {
    const n = labels.length;
    const pos: number[] = [];
    const neg: number[] = [];
    for (let i = 0; i < n; i++) {
      if (labels[i] >= 1) pos.push(i);
      else if (labels[i] === 0) neg.push(i);
    }
    const numPos = Math.min(pos.length, Math.trunc(this.batchSizePerImage * this.positiveFraction));
    const numNeg = Math.min(neg.length, this.batchSizePerImage - numPos);
    const positive = new Uint8Array(n);
    const negative = new Uint8Array(n);
    this.choose(pos, numPos, positive);
    this.choose(neg, numNeg, negative);
    return { positive, negative };
  }

  private choose(candidates: number[], count: number, mask: Uint8Array): void {
    const perm = this.randperm(candidates.length);
    if (perm.length !== candidates.length) {
      throw new Error(`BalancedPositiveNegativeSampler: randperm(${candidates.length}) must return ${candidates.length} indices, got ${perm.length}`);
    }
    for (let k = 0; k < count; k++) {
      const p = perm[k];
      if (!Number.isInteger(p) || p < 0 || p >= candidates.length) {
        throw new Error(`BalancedPositiveNegativeSampler: randperm(${candidates.length}) gave index ${p} at ${k}`);
      }
      mask[candidates[p]] = 1;
    }
  }
}
