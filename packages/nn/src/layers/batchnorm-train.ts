import * as tf from '@tensorflow/tfjs-core';
import { BatchNormTrain, BatchNormTrainGrad, STATS_MEAN, STATS_VAR, type BatchNormTrainAttrs } from '../kernels/fused-batchnorm/names.js';
import { compositeBatchNormTrain, compositeBatchNormTrainGrad } from '../kernels/fused-batchnorm/composite.js';
import { registerFusedBatchNormKernels } from '../kernels/fused-batchnorm/register.js';

export interface BatchNormTrainResult {
  y: tf.Tensor4D;
  /** Biased batch mean and variance per channel, for the running statistics. */
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/** Running statistics to update in the same kernel (PyTorch: (1 - m) * running + m * batch). */
export interface BatchNormRunningStats {
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
  momentum: number;
}

export interface BatchNormTrainStep {
  y: tf.Tensor4D;
  /** [3, C]: biased batch mean, biased batch variance, 1 / sqrt(variance + eps). */
  stats: tf.Tensor2D;
  /** The updated running statistics (unbiased variance), when `running` was given. */
  runningMean?: tf.Tensor1D;
  runningVar?: tf.Tensor1D;
}

function ensureKernels(): void {
  registerFusedBatchNormKernels();
  // A backend outside the table (a user's own) gets the composition of its own ops.
  const backendName = tf.getBackend();
  if (!tf.getKernel(BatchNormTrain, backendName)) {
    tf.registerKernel({ kernelName: BatchNormTrain, backendName, kernelFunc: compositeBatchNormTrain });
    tf.registerKernel({ kernelName: BatchNormTrainGrad, backendName, kernelFunc: compositeBatchNormTrainGrad });
  }
}

/**
 * Training-mode BatchNorm over N, H, W as one kernel forward (TfvBatchNormTrain, which also
 * updates the running statistics) and one backward (TfvBatchNormTrainGrad); the formulas are in
 * kernels/fused-batchnorm/names.ts. Written out of tf ops, a BN ran ~30 kernels per training
 * step (issue #20: each a dispatch on webgpu) and autodiff kept every full-size intermediate
 * until the backward pass; here the tape keeps x, gamma and the [3, C] statistics only.
 */
export function batchNormTrainStep(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number, running?: BatchNormRunningStats): BatchNormTrainStep {
  if (x.rank !== 4) throw new Error(`batchNormTrain: x must be NHWC (rank 4), got shape [${x.shape}]`);
  const channels = x.shape[3];
  for (const [name, t] of [['gamma', gamma], ['beta', beta], ['running mean', running?.mean], ['running variance', running?.variance]] as const) {
    if (t && (t.rank !== 1 || t.shape[0] !== channels)) throw new Error(`batchNormTrain: ${name} must be [${channels}] for input of shape [${x.shape}], got [${t.shape}]`);
  }
  ensureKernels();
  const attrs: BatchNormTrainAttrs = { eps, momentum: running?.momentum ?? 0 };
  // Everything but y comes out through this closure: customGrad's forward is untaped, so the
  // statistics cost nothing in the backward pass. They are kept past its tidy.
  let extra: Omit<BatchNormTrainStep, 'y'> | undefined;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, gIn, bIn] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const inputs: tf.NamedTensorMap = { x: xIn, gamma: gIn, beta: bIn };
    if (running) Object.assign(inputs, { runningMean: running.mean, runningVar: running.variance });
    const [value, stats, runningMean, runningVar] = tf.engine().runKernel(BatchNormTrain, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    save([xIn, stats, gIn]);
    extra = { stats: tf.keep(stats) as tf.Tensor2D, runningMean: runningMean && (tf.keep(runningMean) as tf.Tensor1D), runningVar: runningVar && (tf.keep(runningVar) as tf.Tensor1D) };
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [xs, st, g] = saved;
      return tf.engine().runKernel(BatchNormTrainGrad, { dy, x: xs, stats: st, gamma: g }, {}) as tf.Tensor[];
    };
    return { value, gradFunc };
  });
  const y = op(x, gamma, beta) as tf.Tensor4D;
  if (!extra) throw new Error(`batchNormTrain: statistics missing for input of shape [${x.shape}]`);
  return { y, ...extra };
}

/** batchNormTrainStep without running statistics, returning the batch mean and variance. */
export function batchNormTrain(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): BatchNormTrainResult {
  const { y, stats } = batchNormTrainStep(x, gamma, beta, eps);
  const [mean, variance] = tf.tidy(() => {
    const rows = tf.unstack(stats);
    return [rows[STATS_MEAN], rows[STATS_VAR]] as tf.Tensor1D[];
  });
  stats.dispose();
  return { y, mean, variance };
}
