/**
 * The segmentation model step on the training engine (engine/loss-dict.ts ModelStep): one
 * micro-batch's forward in training mode and its loss dict, torchvision's segmentation criterion
 * (`loss_out`, and `loss_aux` already multiplied by auxWeight, so the engine's sum is the
 * reference's out + 0.5·aux). Dropout (ASPP projection, auxiliary head) draws from a stream of
 * (seed, step, micro-batch) through Math.random, which tfjs seeds unseeded random ops from, so a
 * resumed run drops the same units an uninterrupted one does.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Segmenter } from '@tfvision/heads';
import { withMathRandom } from '@tfvision/nn';
import type { LossDict, ModelStep, StepContext } from '../engine/loss-dict.js';
import { Rng } from '../rng.js';
import type { SegmentationBatch } from './segmentation-loader.js';
import { segmentationLoss } from './segmentation-loss.js';

export interface SegmentationStepOptions {
  /** Weight of the auxiliary loss (torchvision: 0.5). */
  auxWeight: number;
  seed: number;
}

export class SegmentationModelStep implements ModelStep<SegmentationBatch> {
  private readonly dropoutRoot: Rng;

  constructor(
    readonly model: Segmenter,
    readonly options: SegmentationStepOptions,
  ) {
    // A stream apart from the data's (Rng(seed).fork(epoch)) and the initialisation's (0xc0ffee).
    this.dropoutRoot = new Rng(options.seed).fork(0xd5097);
  }

  losses(batch: SegmentationBatch, ctx: StepContext): LossDict {
    const rng = this.dropoutRoot.fork(ctx.step).fork(ctx.micro);
    return withMathRandom(
      () => rng.next(),
      (): LossDict => {
        const x = tf.tensor4d(batch.images, [batch.n, batch.size, batch.size, 3]);
        const y = this.model.forward(x);
        const l = segmentationLoss(y, batch.labels, { auxWeight: this.options.auxWeight });
        tf.dispose([x, y.out, ...(y.aux ? [y.aux] : [])]);
        if (!l.aux) {
          l.total.dispose();
          return { loss_out: l.out };
        }
        const weighted = tf.mul(l.aux, this.options.auxWeight) as tf.Scalar;
        tf.dispose([l.aux, l.total]);
        return { loss_out: l.out, loss_aux: weighted };
      },
    );
  }

  batchSize(batch: SegmentationBatch): number {
    return batch.n;
  }
}
