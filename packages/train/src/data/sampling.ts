/**
 * The loader's determinism contract in two functions: the sample order of an epoch depends only
 * on (seed, epoch), and the augmentation generator of a sample only on (seed, epoch, index).
 * Worker count, prefetch depth and the resume point therefore cannot change any batch.
 */
import { Rng } from '../rng.js';

const ORDER_STREAM = 1;
const AUGMENT_STREAM = 2;

function checkU32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`${name} must be an integer in 0..2^32-1, got ${v}`);
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
