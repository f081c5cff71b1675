/**
 * A small seeded generator (the SplitMix32 output mix over a Weyl sequence): the synthetic
 * dataset must be the same bytes for the same seed on every machine and Node version, which
 * Math.random cannot give.
 */
// Bound once: under jest's vm context every global lookup (Math) is an interceptor call,
// which made the per-pixel noise 50x slower than in plain Node.
const { imul, floor, exp, log } = Math;

export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new Error(`SeededRandom: seed must be an integer, got ${seed}`);
    // Fold the full 53-bit seed into 32 bits so seeds above 2^32 still differ.
    this.state = (seed ^ floor(seed / 0x100000000)) >>> 0;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = imul(z ^ (z >>> 16), 0x85ebca6b);
    z = imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 0x100000000;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [lo, hi] (both ends included). */
  int(lo: number, hi: number): number {
    return lo + floor(this.next() * (hi - lo + 1));
  }

  /** Log-uniform in [lo, hi): every scale equally likely, so small and large objects both occur. */
  logUniform(lo: number, hi: number): number {
    return exp(this.uniform(log(lo), log(hi)));
  }
}
