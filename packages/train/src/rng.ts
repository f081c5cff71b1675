/**
 * Deterministic, serialisable random number generator: xoshiro128** (Blackman & Vigna) in
 * 32-bit integer math, seeded through splitmix32 so nearby seeds give unrelated streams.
 * Checkpoints store `getState()` so a resumed run draws exactly the numbers it would have drawn.
 */

/** splitmix32 step: a well-mixed 32-bit output for any 32-bit input (used for seeding). */
function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new Error(`Rng: seed must be a safe integer, got ${seed}`);
    // Fold both 32-bit halves of an integer seed in, so seeds above 2^32 still differ.
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 4294967296) >>> 0;
    let x = splitmix32(lo ^ splitmix32(hi));
    this.s0 = x = splitmix32(x);
    this.s1 = x = splitmix32(x);
    this.s2 = x = splitmix32(x);
    this.s3 = splitmix32(x);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // all-zero state is a fixed point
  }

  /** Next raw 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const a = this.nextU32() >>> 5; // 27 bits
    const b = this.nextU32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in 0..n-1, without modulo bias (rejection sampling). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 4294967296) {
      throw new Error(`Rng.int: n must be an integer in 1..2^32, got ${n}`);
    }
    if (n === 4294967296) return this.nextU32();
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }

  /** Standard normal via Box-Muller; both uniforms are drawn each call so the state stays 4 words. */
  normal(): number {
    const u1 = 1 - this.next(); // (0, 1]: log is finite
    const u2 = this.next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Gamma(shape, 1) by Marsaglia & Tsang (2000); shape < 1 boosted by U^(1/shape). */
  gamma(shape: number): number {
    if (!(shape > 0)) throw new Error(`Rng.gamma: shape must be > 0, got ${shape}`);
    if (shape < 1) {
      const g = this.gamma(shape + 1);
      return g * Math.pow(1 - this.next(), 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = 1 - this.next();
      const x2 = x * x;
      if (u < 1 - 0.0331 * x2 * x2) return d * v;
      if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** Beta(a, b) = X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b). */
  beta(a: number, b: number): number {
    if (!(a > 0) || !(b > 0)) throw new Error(`Rng.beta: a and b must be > 0, got a=${a}, b=${b}`);
    const x = this.gamma(a);
    const y = this.gamma(b);
    const s = x + y;
    // Tiny shapes can underflow both gammas to 0; the limit then puts all mass on 0 or 1.
    if (s === 0) return this.next() < a / (a + b) ? 1 : 0;
    return x / s;
  }

  /** In-place Fisher-Yates shuffle; returns the same array. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  getState(): number[] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  setState(s: number[]): void {
    if (!Array.isArray(s) || s.length !== 4 || s.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff)) {
      throw new Error(`Rng.setState: expected 4 unsigned 32-bit integers, got ${JSON.stringify(s)}`);
    }
    if ((s[0] | s[1] | s[2] | s[3]) === 0) throw new Error('Rng.setState: the all-zero state is invalid');
    this.s0 = s[0] | 0;
    this.s1 = s[1] | 0;
    this.s2 = s[2] | 0;
    this.s3 = s[3] | 0;
  }

  /**
   * An independent generator for `stream`, derived from this generator's current state without
   * advancing it: `rng.fork(k)` is a pure function of (state, k), so per-sample streams such as
   * `new Rng(seed).fork(epoch).fork(index)` do not depend on how many numbers were drawn elsewhere.
   */
  fork(stream: number): Rng {
    if (!Number.isInteger(stream) || stream < 0 || stream > 0xffffffff) {
      throw new Error(`Rng.fork: stream must be an integer in 0..2^32-1, got ${stream}`);
    }
    const child = new Rng(0);
    let h = splitmix32(stream ^ 0x5bd1e995);
    const words = this.getState();
    const out: number[] = [];
    for (let i = 0; i < 4; i++) {
      h = splitmix32(h ^ words[i]);
      h = splitmix32(h + i);
      out.push(h);
    }
    if ((out[0] | out[1] | out[2] | out[3]) === 0) out[0] = 1;
    child.setState(out);
    return child;
  }
}
