import { withMathRandom } from '@tfvision/nn';
import type { Rng } from '../rng.js';

/**
 * Runs a synchronous `body` with Math.random drawing from `rng`. tfjs seeds unseeded random ops
 * (dropout, DropBlock masks) from Math.random, so this makes those masks a function of the step
 * and keeps resumed runs identical to uninterrupted ones. The forward/backward pass is
 * synchronous, so no other code can observe the swap.
 */
export function withSeededMathRandom<T>(rng: Rng, body: () => T): T {
  return withMathRandom(() => rng.next(), body);
}
