/**
 * The samplers' permutations (the RPN's and the RoI heads' BalancedPositiveNegativeSampler),
 * drawn from a stream fixed by (seed, step): torch.randperm's state cannot be checkpointed
 * with ours, but a stream per step needs no state, so a resumed run samples the same anchors
 * and proposals as an uninterrupted one.
 */
import type { RandpermSource } from '@tfvision/heads';
import { Rng } from '../rng.js';

export class StepRandperm {
  private readonly root: Rng;
  private rng: Rng;

  constructor(seed: number) {
    this.root = new Rng(seed);
    this.rng = this.root.fork(0);
  }

  /** Starts the stream of optimiser step `step`. */
  setStep(step: number): void {
    this.rng = this.root.fork(step);
  }

  readonly source: RandpermSource = (n) => {
    const perm = new Int32Array(n);
    for (let i = 0; i < n; i++) perm[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      const t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    return perm;
  };
}
