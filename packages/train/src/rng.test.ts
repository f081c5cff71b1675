import { Rng } from './rng.js';

describe('Rng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xa = Array.from({ length: 8 }, () => a.nextU32());
    const xb = Array.from({ length: 8 }, () => b.nextU32());
    const xc = Array.from({ length: 8 }, () => c.nextU32());
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
  });

  it('round-trips its state: a restored generator continues the same sequence', () => {
    const a = new Rng(7);
    for (let i = 0; i < 100; i++) a.next();
    const s = a.getState();
    const expected = [a.next(), a.normal(), a.beta(0.2, 0.2), a.int(1000)];
    const b = new Rng(999);
    b.setState(s);
    expect([b.next(), b.normal(), b.beta(0.2, 0.2), b.int(1000)]).toEqual(expected);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  it('rejects malformed states with the value in the message', () => {
    expect(() => new Rng(1).setState([1, 2, 3])).toThrow('Rng.setState: expected 4 unsigned 32-bit integers, got [1,2,3]');
    expect(() => new Rng(1).setState([0, 0, 0, 0])).toThrow('all-zero');
    expect(() => new Rng(1.5)).toThrow('Rng: seed must be a safe integer, got 1.5');
    // Seeds beyond 32 bits and negative seeds are distinct streams.
    expect(new Rng(2 ** 32 + 1).nextU32()).not.toBe(new Rng(1).nextU32());
    expect(new Rng(-1).nextU32()).not.toBe(new Rng(2 ** 32 - 1).nextU32());
  });

  it('fork is a pure function of (state, stream) and does not advance the parent', () => {
    const a = new Rng(5);
    const before = a.getState();
    const f1 = a.fork(3).next();
    expect(a.getState()).toEqual(before);
    expect(a.fork(3).next()).toBe(f1);
    expect(a.fork(4).next()).not.toBe(f1);
  });

  it('forked streams are uncorrelated with each other and with the parent', () => {
    const n = 20000;
    const parent = new Rng(11);
    const s1 = parent.fork(0);
    const s2 = parent.fork(1);
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    const z = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = s1.next();
      y[i] = s2.next();
      z[i] = parent.next();
    }
    const corr = (p: Float64Array, q: Float64Array): number => {
      let mp = 0, mq = 0;
      for (let i = 0; i < n; i++) { mp += p[i]; mq += q[i]; }
      mp /= n; mq /= n;
      let c = 0, vp = 0, vq = 0;
      for (let i = 0; i < n; i++) { c += (p[i] - mp) * (q[i] - mq); vp += (p[i] - mp) ** 2; vq += (q[i] - mq) ** 2; }
      return c / Math.sqrt(vp * vq);
    };
    // 4 standard errors of a correlation over n independent pairs.
    const bound = 4 / Math.sqrt(n);
    expect(Math.abs(corr(x, y))).toBeLessThan(bound);
    expect(Math.abs(corr(x, z))).toBeLessThan(bound);
    expect(Math.abs(corr(y, z))).toBeLessThan(bound);
  });

  it('uniform, normal and beta have the right moments', () => {
    const r = new Rng(123);
    const n = 40000;
    let su = 0, sn = 0, sn2 = 0, sb = 0, sb2 = 0;
    let outOfRange = 0;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      if (!(u >= 0 && u < 1)) outOfRange++;
      su += u;
      const g = r.normal();
      sn += g; sn2 += g * g;
      const b = r.beta(0.2, 0.2);
      if (!(b >= 0 && b <= 1)) outOfRange++;
      sb += b; sb2 += b * b;
    }
    expect(outOfRange).toBe(0);
    expect(Math.abs(su / n - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(sn / n)).toBeLessThan(0.02);
    expect(Math.abs(sn2 / n - 1)).toBeLessThan(0.03);
    // Beta(a, a): mean 1/2, variance 1 / (4 (2a + 1)) = 1/5.6 for a = 0.2.
    const mb = sb / n;
    expect(Math.abs(mb - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(sb2 / n - mb * mb - 1 / 5.6)).toBeLessThan(0.01);
    // Beta(2, 5): mean 2/7.
    let s = 0;
    for (let i = 0; i < n; i++) s += r.beta(2, 5);
    expect(Math.abs(s / n - 2 / 7)).toBeLessThan(0.005);
  });

  it('int is unbiased over a small range and shuffle is a permutation', () => {
    const r = new Rng(9);
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < 60000; i++) counts[r.int(6)]++;
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(400);
    const a = Array.from({ length: 50 }, (_, i) => i);
    const s = r.shuffle(a.slice());
    expect(s.slice().sort((p, q) => p - q)).toEqual(a);
    expect(s).not.toEqual(a);
    expect(() => r.int(0)).toThrow('Rng.int: n must be an integer in 1..2^32, got 0');
  });
});
