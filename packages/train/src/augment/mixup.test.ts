import { Rng } from '../rng.js';
import { smoothOneHot } from './label-smoothing.js';
import { mixupBatch, sampleMixupLambda } from './mixup.js';

describe('smoothOneHot', () => {
  it('uses off = s/K and on = 1 - s + s/K (timm convention)', () => {
    const t = smoothOneHot(new Int32Array([2, 0]), 4, 0.1);
    const off = Math.fround(0.025);
    const on = Math.fround(0.925);
    expect(Array.from(t)).toEqual([off, off, on, off, on, off, off, off]);
  });
  it('is plain one-hot without smoothing and rejects bad labels', () => {
    expect(Array.from(smoothOneHot(new Int32Array([1]), 3, 0))).toEqual([0, 1, 0]);
    expect(() => smoothOneHot(new Int32Array([0, 3]), 3, 0.1)).toThrow('smoothOneHot: labels[1] = 3 is outside 0..2');
  });
});

describe('mixupBatch', () => {
  it('mixes each row with its reverse partner exactly and keeps target rows summing to 1', () => {
    const n = 3;
    const images = new Float32Array([1, 2, 10, 20, 100, 200]);
    const targets = smoothOneHot(new Int32Array([0, 1, 2]), 3, 0.1);
    const lam = 0.7;
    const m = mixupBatch(images, targets, n, lam);
    for (let i = 0; i < n; i++) {
      const j = n - 1 - i;
      for (let k = 0; k < 2; k++) expect(m.images[i * 2 + k]).toBe(Math.fround(lam * images[i * 2 + k] + (1 - lam) * images[j * 2 + k]));
      let s = 0;
      for (let k = 0; k < 3; k++) {
        expect(m.targets[i * 3 + k]).toBe(Math.fround(lam * targets[i * 3 + k] + (1 - lam) * targets[j * 3 + k]));
        s += m.targets[i * 3 + k];
      }
      expect(s).toBeCloseTo(1, 6);
    }
    // The middle sample of an odd batch is mixed with itself.
    expect(m.images[2]).toBeCloseTo(10, 5);
    expect(() => mixupBatch(images, targets, 4, 0.5)).toThrow('mixupBatch: images has 6 values, not a multiple of n = 4');
  });
  it('draws lambda from Beta(alpha, alpha) (mean 1/2, symmetric, in [0, 1])', () => {
    const rng = new Rng(3);
    let s = 0;
    let below = 0;
    const n = 5000;
    for (let i = 0; i < n; i++) {
      const l = sampleMixupLambda(rng, 0.2);
      if (l < 0.5) below++;
      s += l;
    }
    expect(Math.abs(s / n - 0.5)).toBeLessThan(0.03);
    expect(Math.abs(below / n - 0.5)).toBeLessThan(0.03);
    // alpha 0 means mixup off: lambda 1 leaves every sample unmixed.
    expect(sampleMixupLambda(rng, 0)).toBe(1);
    expect(() => sampleMixupLambda(rng, -1)).toThrow('sampleMixupLambda: alpha must be a finite number >= 0, got -1');
  });
});
