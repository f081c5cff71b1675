/**
 * The ResNeSt recipe's training forward as a loss-dict model step: soft targets (label smoothing,
 * then mixup of the batch with its reverse, lambda from the step's host RNG) and soft-target cross
 * entropy, `{ loss_cls }`. Dropout and DropBlock masks come from a Math.random stream fixed by
 * (seed, step, micro-batch), so a resumed run draws the same masks as an uninterrupted one.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Backbone } from '@tfvision/backbones';
import { mixupBatch, sampleMixupLambda, smoothOneHot } from '../augment/index.js';
import type { Batch } from '../data/index.js';
import type { LossDict, ModelStep, StepContext } from '../engine/index.js';
import { softTargetCrossEntropy } from '../loss/index.js';
import { Rng } from '../rng.js';
import { withSeededMathRandom } from './seeded-random.js';

export interface ClassificationStepOptions {
  numClasses: number;
  labelSmoothing: number;
  mixupAlpha: number;
  seed: number;
}

export class ClassificationStep implements ModelStep<Batch> {
  private readonly rng: Rng;

  constructor(
    private readonly model: Backbone,
    private readonly o: ClassificationStepOptions,
  ) {
    this.rng = new Rng(o.seed).fork(7);
  }

  /** Soft targets (smoothed, then mixed) and the images to feed, on host arrays. */
  private targetsFor(b: Batch): { images: Float32Array; targets: Float32Array } {
    const targets = smoothOneHot(b.labels, this.o.numClasses, this.o.labelSmoothing);
    if (this.o.mixupAlpha <= 0) return { images: b.images, targets };
    return mixupBatch(b.images, targets, b.n, sampleMixupLambda(this.rng, this.o.mixupAlpha));
  }

  losses(b: Batch, ctx: StepContext): LossDict {
    const { images, targets } = this.targetsFor(b);
    const layerRng = new Rng(this.o.seed).fork(0x5eed).fork(ctx.step * ctx.accumulate + ctx.micro);
    return withSeededMathRandom(layerRng, () => {
      const x = tf.tensor4d(images, [b.n, b.height, b.width, b.channels]);
      const y = tf.tensor2d(targets, [b.n, this.o.numClasses]);
      return { loss_cls: softTargetCrossEntropy(this.model.forward(x), y) };
    });
  }

  batchSize(b: Batch): number {
    return b.n;
  }

  getRngState(): number[] {
    return this.rng.getState();
  }

  setRngState(state: number[]): void {
    this.rng.setState(state);
  }
}
