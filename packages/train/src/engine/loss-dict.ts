/**
 * What a task gives the engine: detectron2's model contract (a training forward returns a dict
 * of named scalar losses; the trainer differentiates their sum), per micro-batch.
 */
import type * as tf from '@tensorflow/tfjs-core';

/** Named scalar losses of one micro-batch (torchvision/detectron2 names: loss_classifier, loss_mask...). */
export type LossDict = Record<string, tf.Scalar>;

/** Which micro-batch of which optimiser step is being computed. */
export interface StepContext {
  /** 0-based optimiser step. */
  step: number;
  /** 0-based micro-batch within the step. */
  micro: number;
  accumulate: number;
}

export interface ModelStep<B> {
  /**
   * The loss dict of one micro-batch. Runs synchronously inside tf.variableGrads, which frees
   * every tensor made here except the returned losses (the engine frees those).
   */
  losses(batch: B, ctx: StepContext): LossDict;
  /** Images in the micro-batch (throughput figures). */
  batchSize(batch: B): number;
  /** A host RNG the step draws from (mixup), saved in checkpoints so a resume continues it. */
  getRngState?(): number[];
  setRngState?(state: number[]): void;
}
