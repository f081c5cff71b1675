/** How the learning rate evolves after warmup. */
export type ScheduleKind = 'cosine' | 'step' | 'constant';

export interface LrScheduleOptions {
  kind: ScheduleKind;
  baseLr: number;
  /** Total optimiser steps of the run. */
  totalSteps: number;
  /** Linear warmup from 0 over these many steps. */
  warmupSteps: number;
  /** `step` kind: steps at which the rate is multiplied by `gamma`. */
  milestones?: number[];
  gamma?: number;
}

/**
 * The learning rate at optimiser step t (0-based), stepped per iteration as the ResNeSt code
 * does: linear warmup lr·t/Tw for t < Tw, then cosine lr·½(1 + cos(π(t−Tw)/(T−Tw))) down to 0
 * at t = T (or step decay by gamma at each milestone, or constant).
 */
export function learningRateAt(o: LrScheduleOptions, t: number): number {
  const { baseLr, totalSteps: T, warmupSteps: Tw } = o;
  if (t < Tw) return (baseLr * t) / Tw;
  switch (o.kind) {
    case 'constant':
      return baseLr;
    case 'step': {
      const passed = (o.milestones ?? []).filter((m) => t >= m).length;
      return baseLr * Math.pow(o.gamma ?? 0.1, passed);
    }
    case 'cosine': {
      if (T <= Tw) return baseLr;
      const progress = Math.min(1, (t - Tw) / (T - Tw));
      return baseLr * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
  }
}

/** DropBlock probability at step t: ramps linearly from 0 to `target` over the run (ResNeSt). */
export function dropBlockRateAt(target: number, totalSteps: number, t: number): number {
  if (totalSteps <= 0) return target;
  return target * Math.min(1, Math.max(0, t / totalSteps));
}
