/**
 * detectron2's subsample_labels (modeling/sampling.py @02b5c4e): positives are labels other than
 * -1 and bgLabel, negatives equal bgLabel (each in ascending index order); numPos =
 * min(#pos, int(numSamples · positiveFraction)), numNeg = min(#neg, numSamples − numPos); the
 * first numPos of randperm(#pos) pick the positives and the first numNeg of randperm(#neg) the
 * negatives. Unlike torchvision's sampler the picks keep the permutation's order, positives
 * first, which is the row order of the RoI heads' sampled proposals.
 */
import { SeededRng } from '../ops/seeded-rng.js';
import type { RandpermSource } from '../ops/balanced-sampler.js';

export interface SubsampledIndices {
  positive: Int32Array;
  negative: Int32Array;
}

/** A seeded stand-in for torch.randperm (tests inject the reference's permutations instead). */
export function seededRandperm(seed = 0): RandpermSource {
  const rng = new SeededRng(seed);
  return (n) => rng.randperm(n);
}

function pick(candidates: number[], count: number, randperm: RandpermSource): Int32Array {
  const perm = randperm(candidates.length);
  if (perm.length !== candidates.length) throw new Error(`subsampleLabels: randperm(${candidates.length}) must return ${candidates.length} indices, got ${perm.length}`);
  const out = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    const p = perm[k];
    if (!(Number.isInteger(p) && p >= 0 && p < candidates.length)) throw new Error(`subsampleLabels: randperm(${candidates.length}) gave index ${p} at ${k}`);
    out[k] = candidates[p];
  }
  return out;
}

export function subsampleLabels(labels: ArrayLike<number>, numSamples: number, positiveFraction: number, bgLabel: number, randperm: RandpermSource): SubsampledIndices {
  if (!(Number.isInteger(numSamples) && numSamples >= 0)) throw new Error(`subsampleLabels: numSamples must be an integer >= 0, got ${numSamples}`);
  if (!(positiveFraction >= 0 && positiveFraction <= 1)) throw new Error(`subsampleLabels: positiveFraction must be in [0, 1], got ${positiveFraction}`);
  const pos: number[] = [];
  const neg: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l === bgLabel) neg.push(i);
    else if (l !== -1) pos.push(i);
  }
  const numPos = Math.min(pos.length, Math.trunc(numSamples * positiveFraction));
  const numNeg = Math.min(neg.length, numSamples - numPos);
  const positive = pick(pos, numPos, randperm);
  const negative = pick(neg, numNeg, randperm);
  return { positive, negative };
}
