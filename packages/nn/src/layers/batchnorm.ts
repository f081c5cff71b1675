import * as tf from '@tensorflow/tfjs-core';
import { Layer } from '../module.js';
import { batchNormTrainStep } from './batchnorm-train.js';
import { isRecomputing } from '../checkpoint.js';
import { constantChannelAffine } from '../grad/lean-ops.js';

export interface BatchNorm2dOptions {
  numFeatures: number;
  /** PyTorch convention: running = (1 - momentum) * running + momentum * batch. */
  momentum?: number;
  eps?: number;
  /** Frozen: always uses running statistics and its affine parameters never train. */
  frozen?: boolean;
  /** Initial gamma (0 for the zero-init of the last BN in a residual block). */
  gamma?: number;
}

/**
 * BatchNorm over N, H, W of NHWC input with PyTorch's names (`weight`, `bias`,
 * `running_mean`, `running_var`, `num_batches_tracked`) and semantics: normalise with the
 * biased batch variance, update the running variance with the unbiased one.
 */
export class BatchNorm2d extends Layer<tf.Tensor4D, tf.Tensor4D> {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  readonly numBatchesTracked: tf.Variable;
  readonly numFeatures: number;
  momentum: number;
  eps: number;
  private frozenFlag: boolean;

  constructor(o: BatchNorm2dOptions) {
    super();
    this.numFeatures = o.numFeatures;
    this.momentum = o.momentum ?? 0.1;
    this.eps = o.eps ?? 1e-5;
    this.weight = this.registerParameter('weight', tf.fill([o.numFeatures], o.gamma ?? 1));
    this.bias = this.registerParameter('bias', tf.zeros([o.numFeatures]));
    this.runningMean = this.registerBuffer('running_mean', tf.zeros([o.numFeatures]));
    this.runningVar = this.registerBuffer('running_var', tf.ones([o.numFeatures]));
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', tf.scalar(0, 'int32'));
    this.frozenFlag = false;
    if (o.frozen) this.setFrozen(true);
  }

  get frozen(): boolean {
    return this.frozenFlag;
  }

  /** Frozen BN (detectron2's FrozenBatchNorm2d): running statistics always, no training. */
  setFrozen(frozen: boolean): this {
    this.frozenFlag = frozen;
    this.weight.trainable = !frozen;
    this.bias.trainable = !frozen;
    return this;
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    if (x.shape[3] !== this.numFeatures) throw new Error(`BatchNorm2d: expected ${this.numFeatures} channels, got input of shape [${x.shape}]`);
    return tf.tidy(() => {
      if (!this.training || this.frozenFlag) {
        const scale = tf.mul(this.weight, tf.rsqrt(tf.add(this.runningVar, this.eps)));
        const shift = tf.sub(this.bias, tf.mul(this.runningMean, scale));
        // Affine parameters that do not train need no x kept for their gradients.
        if (!this.weight.trainable && !this.bias.trainable) return constantChannelAffine(x, scale as tf.Tensor1D, shift as tf.Tensor1D);
        return tf.add(tf.mul(x, scale), shift) as tf.Tensor4D;
      }
      // A checkpointed block's backward pass runs its forward again: count the batch once.
      const update = !isRecomputing();
      const running = update ? { mean: this.runningMean as tf.Tensor1D, variance: this.runningVar as tf.Tensor1D, momentum: this.momentum } : undefined;
      const { y, stats, runningMean, runningVar } = batchNormTrainStep(x, this.weight as tf.Tensor1D, this.bias as tf.Tensor1D, this.eps, running);
      if (runningMean && runningVar) {
        this.runningMean.assign(runningMean);
        this.runningVar.assign(runningVar);
        this.numBatchesTracked.assign(tf.add(this.numBatchesTracked, tf.scalar(1, 'int32')));
      }
      tf.dispose([stats, ...(runningMean && runningVar ? [runningMean, runningVar] : [])]);
      return y;
    });
  }
}

/**
 * Swaps every BatchNorm2d below `module` for frozen BN (running stats, no training): the
 * `normEval` + frozen-BN policy of detection fine-tuning.
 */
export function freezeBatchNorm(module: { namedModules(): [string, unknown][] }): number {
  let count = 0;
  for (const [, m] of module.namedModules()) {
    if (m instanceof BatchNorm2d) {
      m.setFrozen(true);
      count++;
    }
  }
  return count;
}
