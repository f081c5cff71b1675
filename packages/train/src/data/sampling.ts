/**
 * The loader's determinism contract: the sample order of an epoch depends only on (seed, epoch),
 * and the augmentation generator of a sample only on (seed, epoch, position or index). Worker
 * count, prefetch depth and the resume point therefore cannot change any batch.
 *
 * Two rules exist because two families of runs were recorded with them:
 * - `indexStreams` (classification): the order is stream 1 of the seed, the generator of dataset
 *   sample i is stream 2 → epoch → i, so a sample gets the same augmentation whatever batch it
 *   lands in;
 * - `positionStreams` (detection, segmentation): the order and the generators are streams of the
 *   epoch (the order stream 0, the sample at position p of the epoch stream p + 1), so a step's
 *   batch is fixed by (seed, step).
 */
import { Rng } from '../rng.js';

const ORDER_STREAM = 1;
const AUGMENT_STREAM = 2;

function checkU32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`${name} must be an integer in 0..2^32-1, got ${v}`);
}

/** How a loader orders an epoch and seeds each sample's transform. */
export interface SamplingRule {
  /** Dataset indices of `epoch` in training order (a permutation of 0..n-1). */
  order(n: number, epoch: number): Int32Array;
  /** The generator of the sample at `position` of `epoch`'s order, dataset index `index`. */
  sampleRng(epoch: number, position: number, index: number): Rng;
  /**
   * How many positions `order(n, e)` returns for every epoch when that is not n (a rule that
   * leaves samples out, as aspect-ratio grouping does its partial groups).
   */
  epochLength?(n: number): number;
}

/** Dataset indices of an epoch: a seeded Fisher-Yates permutation, or 0..n-1 without shuffling. */
export function epochOrder(n: number, seed: number, epoch: number, shuffle: boolean): Int32Array {
  checkU32('epoch', epoch);
  const order = Array.from({ length: n }, (_, i) => i);
  if (shuffle) new Rng(seed).fork(ORDER_STREAM).fork(epoch).shuffle(order);
  return Int32Array.from(order);
}

/** The generator that augments dataset sample `index` in `epoch`. */
export function sampleRng(seed: number, epoch: number, index: number): Rng {
  checkU32('epoch', epoch);
  checkU32('index', index);
  return new Rng(seed).fork(AUGMENT_STREAM).fork(epoch).fork(index);
}

/** Classification's rule: streams keyed by dataset index. */
export function indexStreams(seed: number, shuffle: boolean): SamplingRule {
  return {
    order: (n, epoch) => epochOrder(n, seed, epoch, shuffle),
    sampleRng: (epoch, _position, index) => sampleRng(seed, epoch, index),
  };
}

/** Detection's and segmentation's rule: always shuffled, streams keyed by position in the epoch. */
export function positionStreams(seed: number): SamplingRule {
  const root = new Rng(seed);
  return {
    order(n, epoch) {
      checkU32('epoch', epoch);
      return Int32Array.from(root.fork(epoch).shuffle(Array.from({ length: n }, (_, i) => i)));
    },
    sampleRng(epoch, position) {
      checkU32('epoch', epoch);
      checkU32('position', position + 1);
      return root.fork(epoch).fork(position + 1);
    },
  };
}

/**
 * Aspect-ratio grouping (detectron2's AspectRatioGroupedDataset, torchvision's
 * GroupedBatchSampler): each batch holds images of one group, so a batch pads less. The epoch's
 * order is `rule`'s, regrouped: walking it, each sample joins its group's bucket, and a bucket
 * that reaches `batchSize` becomes the next batch. Unlike detectron2's infinite stream, which
 * carries unfilled buckets on, the samples left in unfilled buckets at the end of an epoch sit
 * that epoch out (a different few each epoch, as the order is reshuffled), so every epoch has the
 * same length and a batch stays a function of (seed, step). `groups[i]` is sample i's group.
 */
export function aspectRatioGrouped(rule: SamplingRule, groups: ArrayLike<number>, batchSize: number): SamplingRule {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`aspectRatioGrouped: batchSize must be a positive integer, got ${batchSize}`);
  const counts = new Map<number, number>();
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i];
    if (!Number.isInteger(g) || g < 0) throw new Error(`aspectRatioGrouped: groups[${i}] must be a non-negative integer, got ${g}`);
    counts.set(g, (counts.get(g) ?? 0) + 1);
  }
  const length = [...counts.values()].reduce((sum, c) => sum + Math.floor(c / batchSize) * batchSize, 0);
  if (length === 0) {
    const sizes = [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([g, c]) => `group ${g}: ${c}`).join(', ');
    throw new Error(`aspectRatioGrouped: no aspect-ratio group has batchSize ${batchSize} images (${sizes || 'no images'})`);
  }
  const checkN = (n: number): void => {
    if (n !== groups.length) throw new Error(`aspectRatioGrouped: the rule was built for ${groups.length} samples, asked for ${n}`);
  };
  return {
    order(n, epoch) {
      checkN(n);
      const buckets = new Map<number, number[]>();
      const out = new Int32Array(length);
      let filled = 0;
      for (const i of rule.order(n, epoch)) {
        const bucket = buckets.get(groups[i]) ?? [];
        bucket.push(i);
        if (bucket.length === batchSize) {
          out.set(bucket, filled);
          filled += batchSize;
          buckets.delete(groups[i]);
        } else buckets.set(groups[i], bucket);
      }
      return out;
    },
    sampleRng: (epoch, position, index) => rule.sampleRng(epoch, position, index),
    epochLength(n) {
      checkN(n);
      return length;
    },
  };
}
