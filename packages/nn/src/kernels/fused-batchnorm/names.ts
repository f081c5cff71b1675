/**
 * Training-mode BatchNorm over N, H, W of NHWC input as two kernels (issue #20: a ResNet-50
 * step ran ~30 kernels per BN forward and backward together, each a GPU dispatch on webgpu).
 *
 * TfvBatchNormTrain: inputs x [N, H, W, C], gamma [C], beta [C], and optionally runningMean
 * and runningVar [C] (attrs eps, momentum). Outputs y, stats [3, C] (rows: biased batch mean,
 * biased batch variance, 1 / sqrt(variance + eps)) and, when the running statistics were
 * given, their PyTorch update (1 - m) * running + m * batch, with the unbiased variance.
 *
 * TfvBatchNormTrainGrad: inputs dy, x, stats, gamma. Outputs dx, dgamma, dbeta:
 *   xc = x - mean, k = gamma * invStd, n = N*H*W
 *   dbeta = sum(dy), dgamma = invStd * sum(dy * xc), dx = k * (dy - dbeta / n - xc * invStd * dgamma / n)
 * x is centred before it is scaled (expanding x * s - mean * s cancels in float32 when
 * |mean| >> std).
 */
export const BatchNormTrain = 'TfvBatchNormTrain';
export const BatchNormTrainGrad = 'TfvBatchNormTrainGrad';

export interface BatchNormTrainAttrs {
  eps: number;
  /** PyTorch's momentum of the running statistics; used only when they are inputs. */
  momentum: number;
}

/** Rows of the stats output. */
export const STATS_MEAN = 0;
export const STATS_VAR = 1;
export const STATS_INV_STD = 2;
