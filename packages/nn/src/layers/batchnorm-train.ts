import * as tf from '@tensorflow/tfjs-core';

export interface BatchNormTrainResult {
  y: tf.Tensor4D;
  /** Biased batch mean and variance per channel, for the running statistics. */
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/**
 * Training-mode BatchNorm over N, H, W as one op with its own gradient. Written out of
 * tf.moments and elementwise ops, autodiff keeps every intermediate full-size tensor of the
 * forward pass (x - mean, its square, the normalised x, the scaled x) until the backward pass
 * and runs ~17 kernels backward: ResNeXt-50 at batch 2 reached a 2.4 GB wasm heap, and batch 8
 * did not fit the 4 GB wasm32 heap. Here the tape keeps only x and per-channel vectors, and
 * the backward pass is 2 reductions and 5 elementwise ops over the full tensor:
 *   xc = x - mean,  k = gamma * invStd,  n = N*H*W
 *   dbeta = sum(dy),  dgamma = invStd * sum(dy * xc)
 *   dx = k * (dy - dbeta / n - xc * invStd * dgamma / n) = dy * k + xc * c1 + c0
 * with c1 = -k * invStd * dgamma / n and c0 = -k * dbeta / n. x is centred before anything is
 * multiplied by invStd: expanding (x - mean) * s into x * s - mean * s cancels catastrophically
 * in float32 when |mean| >> std (EfficientNet-B5 on two 32x32 images went NaN in its second
 * step that way).
 */
export function batchNormTrain(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): BatchNormTrainResult {
  const channels = x.shape[3];
  const n = x.shape[0] * x.shape[1] * x.shape[2];
  // Statistics come out through this closure: customGrad's forward is untaped, so they cost
  // nothing in the backward pass. They are kept past its tidy and handed to the caller.
  let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | undefined;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, gIn, bIn] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const moments = tf.moments(xIn, [0, 1, 2]);
    const mean = moments.mean as tf.Tensor1D;
    const variance = moments.variance as tf.Tensor1D;
    const invStd = tf.rsqrt(tf.add(variance, eps)) as tf.Tensor1D;
    const scale = tf.mul(gIn, invStd);
    const value = tf.add(tf.mul(tf.sub(xIn, mean), scale), bIn) as tf.Tensor4D;
    save([xIn, mean, invStd, gIn]);
    stats = { mean: tf.keep(tf.clone(mean)), variance: tf.keep(tf.clone(variance)) };
    const gradFunc = (dy: tf.Tensor4D, saved: tf.Tensor[]): tf.Tensor[] => {
      const [xs, m, inv, g] = saved;
      const dbeta = tf.sum(dy, [0, 1, 2]);
      const xc = tf.sub(xs, m);
      const dgamma = tf.mul(inv, tf.sum(tf.mul(dy, xc), [0, 1, 2]));
      const k = tf.mul(g, inv);
      const c1 = tf.mul(tf.mul(k, inv), tf.mul(dgamma, -1 / n));
      const c0 = tf.mul(k, tf.mul(dbeta, -1 / n));
      const dx = tf.add(tf.add(tf.mul(dy, k), tf.mul(xc, c1)), c0);
      return [dx, dgamma, dbeta];
    };
    return { value, gradFunc };
  });
  const y = op(x, gamma, beta) as tf.Tensor4D;
  if (!stats) throw new Error(`batchNormTrain: statistics missing for input of shape [${x.shape}] (${channels} channels)`);
  return { y, ...stats };
}
