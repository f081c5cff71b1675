/**
 * detectron2's WarmupMultiStepLR (solver/lr_scheduler.py, the 1x/3x schedules), stepped per
 * iteration: lr(t) = base · warmup(t) · gamma^(number of milestones <= t), with the linear
 * warmup factor f + (1 - f)·t/T_w for t < T_w (f = 0.001 in the recipes) and 1 after.
 * The base rate follows the linear scaling rule: `lr` is given per 16 images (Goyal et al.;
 * 0.02 at batch 16 in detectron2 and torchvision's references) and scaled to the batch.
 */
export interface DetectionLrOptions {
  /** Learning rate per 16 images of batch. */
  lrPer16: number;
  batchSize: number;
  warmupIters: number;
  warmupFactor: number;
  /** Iterations at which the rate is multiplied by gamma (e.g. 60000, 80000 of 90000). */
  milestones: readonly number[];
  gamma: number;
}

export function baseLearningRate(o: Pick<DetectionLrOptions, 'lrPer16' | 'batchSize'>): number {
  return (o.lrPer16 * o.batchSize) / 16;
}

export function detectionLrAt(o: DetectionLrOptions, t: number): number {
  let factor = 1;
  if (t < o.warmupIters) {
    const alpha = t / o.warmupIters;
    factor = o.warmupFactor * (1 - alpha) + alpha;
  }
  const passed = o.milestones.filter((m) => m <= t).length;
  return baseLearningRate(o) * factor * Math.pow(o.gamma, passed);
}
