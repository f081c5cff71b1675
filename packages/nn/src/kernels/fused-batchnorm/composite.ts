import * as tf from '@tensorflow/tfjs-core';
import type { BatchNormTrainAttrs } from './names.js';

/**
 * The BatchNorm training kernels as compositions of the backend's own ops, for backends
 * without a dedicated implementation (tensorflow, webgl): the same formulas as names.ts, so the
 * results agree with the cpu kernel to float32 rounding. On tensorflow, TF's
 * FusedBatchNormV3 / FusedBatchNormGradV3 would make each one native op (not done: no
 * tfjs-node here to test it against).
 */
/** compositeKernel (../composite.ts) for kernels with several outputs. */
function multiOutputComposite(body: (inputs: Record<string, tf.Tensor>, attrs: tf.NamedAttrMap) => tf.Tensor[]): tf.KernelFunc {
  return ({ inputs, attrs }) =>
    tf.tidy(() => {
      const tensors: Record<string, tf.Tensor> = {};
      for (const [name, info] of Object.entries(inputs)) {
        if (info !== undefined) tensors[name] = info instanceof tf.Tensor ? info : tf.engine().makeTensorFromTensorInfo(info);
      }
      return body(tensors, attrs ?? {});
    });
}

export const compositeBatchNormTrain = multiOutputComposite(({ x, gamma, beta, runningMean, runningVar }, attrs) => {
  const { eps, momentum } = attrs as unknown as BatchNormTrainAttrs;
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  const invStd = tf.rsqrt(tf.add(variance, eps));
  const y = tf.add(tf.mul(tf.sub(x, mean), tf.mul(gamma, invStd)), beta);
  const stats = tf.stack([mean, variance, invStd]);
  if (!runningMean || !runningVar) return [y, stats];
  const n = x.size / x.shape[x.shape.length - 1];
  const unbiased = tf.mul(variance, n / Math.max(n - 1, 1));
  const newMean = tf.add(tf.mul(runningMean, 1 - momentum), tf.mul(mean, momentum));
  const newVar = tf.add(tf.mul(runningVar, 1 - momentum), tf.mul(unbiased, momentum));
  return [y, stats, newMean, newVar];
});

export const compositeBatchNormTrainGrad = multiOutputComposite(({ dy, x, stats, gamma }) => {
  const n = x.size / x.shape[x.shape.length - 1];
  const [mean, , invStd] = tf.unstack(stats);
  const dbeta = tf.sum(dy, [0, 1, 2]);
  const xc = tf.sub(x, mean);
  const dgamma = tf.mul(invStd, tf.sum(tf.mul(dy, xc), [0, 1, 2]));
  const k = tf.mul(gamma, invStd);
  const c1 = tf.mul(tf.mul(k, invStd), tf.mul(dgamma, -1 / n));
  const c0 = tf.mul(k, tf.mul(dbeta, -1 / n));
  const dx = tf.add(tf.add(tf.mul(dy, k), tf.mul(xc, c1)), c0);
  return [dx, dgamma, dbeta];
});
