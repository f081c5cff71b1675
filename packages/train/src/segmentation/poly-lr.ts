/**
 * The poly learning-rate schedule of torchvision's segmentation reference (references/
 * segmentation/train.py: LambdaLR with (1 − t / T)^0.9, stepped per iteration) and of DeepLab
 * (Chen et al. 2017), with the reference's optional linear warmup (lr_warmup_method "linear":
 * the factor rises from warmupFactor to 1 over warmupIters, and the poly decay then spans the
 * remaining T − warmupIters iterations, as the reference's SequentialLR does).
 */
export interface PolyLrOptions {
  baseLr: number;
  /** Total optimiser steps T. */
  totalSteps: number;
  /** Default 0.9. */
  power?: number;
  /** Default 0 (the reference's default). */
  warmupIters?: number;
  /** Start of the linear warmup as a fraction of baseLr; default 0.01 (lr_warmup_decay). */
  warmupFactor?: number;
}

export function checkPolyLr(o: PolyLrOptions): void {
  if (!(o.baseLr > 0)) throw new Error(`polyLr: baseLr must be > 0, got ${o.baseLr}`);
  if (!(Number.isInteger(o.totalSteps) && o.totalSteps >= 1)) throw new Error(`polyLr: totalSteps must be a positive integer, got ${o.totalSteps}`);
  const p = o.power ?? 0.9;
  if (!(p >= 0 && Number.isFinite(p))) throw new Error(`polyLr: power must be a finite number >= 0, got ${p}`);
  const w = o.warmupIters ?? 0;
  if (!(Number.isInteger(w) && w >= 0 && w < o.totalSteps)) throw new Error(`polyLr: warmupIters must be an integer in [0, totalSteps), got ${w}`);
  const f = o.warmupFactor ?? 0.01;
  if (!(f >= 0 && f <= 1)) throw new Error(`polyLr: warmupFactor must be in [0, 1], got ${f}`);
}

/** The rate at optimiser step t (0-based). */
export function polyLrAt(o: PolyLrOptions, t: number): number {
  const power = o.power ?? 0.9;
  const warmup = o.warmupIters ?? 0;
  if (t < warmup) {
    const f = o.warmupFactor ?? 0.01;
    return o.baseLr * (f + ((1 - f) * t) / warmup);
  }
  const span = o.totalSteps - warmup;
  return o.baseLr * Math.pow(Math.max(0, 1 - (t - warmup) / span), power);
}
