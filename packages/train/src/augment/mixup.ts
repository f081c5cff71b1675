/**
 * Mixup (Zhang et al. 2018) as the ResNeSt / timm 'batch' mode: one lambda ~ Beta(alpha, alpha)
 * per batch, each sample mixed with the batch reversed: x'_i = lam·x_i + (1 - lam)·x_{n-1-i};
 * targets (already smoothed one-hot rows) are mixed the same way.
 */
import type { Rng } from '../rng.js';

export function sampleMixupLambda(rng: Rng, alpha: number): number {
  if (!(alpha >= 0) || !Number.isFinite(alpha)) throw new Error(`sampleMixupLambda: alpha must be a finite number >= 0, got ${alpha}`);
  if (alpha === 0) return 1;
  return rng.beta(alpha, alpha);
}

function mixReversed(x: Float32Array, n: number, lam: number): Float32Array {
  const per = x.length / n;
  const out = new Float32Array(x.length);
  const q = 1 - lam;
  for (let i = 0; i < n; i++) {
    const a = i * per;
    const b = (n - 1 - i) * per;
    for (let k = 0; k < per; k++) out[a + k] = lam * x[a + k] + q * x[b + k];
  }
  return out;
}

export function mixupBatch(
  images: Float32Array,
  targets: Float32Array,
  n: number,
  lam: number,
): { images: Float32Array; targets: Float32Array } {
  if (!Number.isInteger(n) || n < 1) throw new Error(`mixupBatch: n must be a positive integer, got ${n}`);
  if (images.length % n !== 0) throw new Error(`mixupBatch: images has ${images.length} values, not a multiple of n = ${n}`);
  if (targets.length % n !== 0) throw new Error(`mixupBatch: targets has ${targets.length} values, not a multiple of n = ${n}`);
  if (!(lam >= 0 && lam <= 1)) throw new Error(`mixupBatch: lam must be in [0, 1], got ${lam}`);
  return { images: mixReversed(images, n, lam), targets: mixReversed(targets, n, lam) };
}
