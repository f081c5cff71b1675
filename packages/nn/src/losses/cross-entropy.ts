import * as tf from '@tensorflow/tfjs-core';
// Losses exist to be differentiated: make tf.grad work even when nothing imported module.ts.
import '../gradients.js';
import { checkReduction, reduceLoss, type Reduction } from './reduction.js';

/**
 * Cross-entropy of logits `[N, C]`, as torch.nn.functional.cross_entropy (torch 1.13):
 * log_softmax, then the negative log-likelihood of integer class labels `[N]` or of class
 * probabilities `[N, C]` (soft targets: label smoothing applied by the caller, mixup).
 *
 * With labels, sample i contributes l_i = (1 - s) · w_{y_i} · (−log p_{i,y_i})
 * + (s / C) · Σ_c w_c · (−log p_{i,c}) (s = labelSmoothing, w = class weights, 1 when absent);
 * labels equal to `ignoreIndex` contribute 0 and do not count. 'mean' is Σ l_i / Σ w_{y_i}
 * over the counted samples (the sample count without weights), NaN when none counts.
 * Label smoothing s is timm's (smoothOneHot): target 1 − s + s/C on the label, s/C elsewhere.
 *
 * With probabilities t, the smoothed t' = t · (1 − s) + s/C gives l_i = −Σ_c w_c · t'_{i,c} ·
 * log p_{i,c} and 'mean' divides by N (weights do not enter the divisor), as PyTorch does.
 */
export interface CrossEntropyOptions {
  /** Per-class weights `[C]` (torch's `weight`). */
  weight?: tf.Tensor1D;
  /** Label that contributes nothing (torch's `ignore_index`, default −100); labels only. */
  ignoreIndex?: number;
  /** In [0, 1]; default 0. */
  labelSmoothing?: number;
  /** Default 'mean'; 'none' gives the per-sample losses `[N]`. */
  reduction?: Reduction;
}

/** Integer labels `[N]` (int32 tensor, or host values), or probabilities `[N, C]`. */
export type CrossEntropyTarget = tf.Tensor1D | Int32Array | tf.Tensor2D;

const OP = 'crossEntropy';

export function crossEntropy(logits: tf.Tensor2D, target: CrossEntropyTarget, options: CrossEntropyOptions & { reduction: 'none' }): tf.Tensor1D;
export function crossEntropy(logits: tf.Tensor2D, target: CrossEntropyTarget, options?: CrossEntropyOptions & { reduction?: 'mean' | 'sum' }): tf.Scalar;
export function crossEntropy(logits: tf.Tensor2D, target: CrossEntropyTarget, options?: CrossEntropyOptions): tf.Scalar | tf.Tensor1D;
export function crossEntropy(logits: tf.Tensor2D, target: CrossEntropyTarget, options: CrossEntropyOptions = {}): tf.Scalar | tf.Tensor1D {
  const reduction = checkReduction(OP, options.reduction);
  if (logits.rank !== 2) throw new Error(`${OP}: logits must be [N, C], got shape [${logits.shape}]`);
  const [n, c] = logits.shape;
  const smoothing = options.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing <= 1)) throw new Error(`${OP}: labelSmoothing must be in [0, 1], got ${smoothing}`);
  const { weight } = options;
  if (weight && (weight.rank !== 1 || weight.shape[0] !== c)) throw new Error(`${OP}: weight must be [${c}] (one per class), got shape [${weight.shape}]`);
  if (!(target instanceof Int32Array) && target.rank === 2) {
    return softTargets(logits, target as tf.Tensor2D, options.ignoreIndex, smoothing, weight, reduction);
  }
  const ignoreIndex = options.ignoreIndex ?? -100;
  if (!Number.isInteger(ignoreIndex)) throw new Error(`${OP}: ignoreIndex must be an integer, got ${ignoreIndex}`);
  if (target instanceof Int32Array) {
    if (target.length !== n) throw new Error(`${OP}: ${n} rows of logits but ${target.length} labels`);
    for (let i = 0; i < n; i++) {
      const l = target[i];
      if (l !== ignoreIndex && (l < 0 || l >= c)) throw new Error(`${OP}: labels[${i}] = ${l} is outside 0..${c - 1} and is not ignoreIndex ${ignoreIndex}`);
    }
  } else {
    if (target.rank !== 1 || target.shape[0] !== n) throw new Error(`${OP}: labels must be [${n}] or probabilities [${n}, ${c}], got shape [${target.shape}]`);
    if (target.dtype !== 'int32') throw new Error(`${OP}: labels must be int32, got ${target.dtype}`);
  }
  return hardLabels(logits, target as tf.Tensor1D | Int32Array, ignoreIndex, smoothing, weight, reduction);
}

function hardLabels(logits: tf.Tensor2D, target: tf.Tensor1D | Int32Array, ignoreIndex: number, smoothing: number, weight: tf.Tensor1D | undefined, reduction: Reduction): tf.Scalar | tf.Tensor1D {
  const c = logits.shape[1];
  return tf.tidy(() => {
    const labels = target instanceof Int32Array ? tf.tensor1d(target, 'int32') : target;
    const nlogp = tf.neg(tf.logSoftmax(logits, -1));
    const kept = tf.notEqual(labels, ignoreIndex);
    const counted = tf.cast(kept, 'float32');
    // The label's column by comparison with 0..C-1 (an ignored or out-of-range label picks
    // none), selected with where rather than a one-hot product, so a −inf logit in another
    // column gives no 0 · inf = NaN.
    const picked = tf.logicalAnd(tf.equal(tf.expandDims(labels, 1), tf.range(0, c, 1, 'int32')), tf.expandDims(kept, 1));
    const perClass = weight ? tf.mul(nlogp, weight) : nlogp;
    let loss: tf.Tensor = tf.sum(tf.where(picked, perClass, tf.zerosLike(perClass)), -1);
    const divisor = weight ? tf.sum(tf.mul(tf.cast(picked, 'float32'), weight)) : tf.sum(counted);
    if (smoothing > 0) {
      const spread = tf.mul(tf.sum(perClass, -1), counted);
      loss = tf.add(tf.mul(loss, 1 - smoothing), tf.mul(spread, smoothing / c));
    }
    if (!(target instanceof Int32Array)) {
      // Device labels are not read back to check them (a stall on GPU backends): a label out
      // of range that is not ignoreIndex makes its sample's loss NaN instead of an error.
      const outOfRange = tf.logicalAnd(kept, tf.logicalOr(tf.less(labels, 0), tf.greaterEqual(labels, c)));
      loss = tf.where(outOfRange, tf.fill(loss.shape, NaN), loss);
    }
    if (reduction !== 'mean') return reduceLoss(loss, reduction) as tf.Scalar | tf.Tensor1D;
    return tf.div(tf.sum(loss), divisor) as tf.Scalar;
  });
}

function softTargets(logits: tf.Tensor2D, target: tf.Tensor2D, ignoreIndex: number | undefined, smoothing: number, weight: tf.Tensor1D | undefined, reduction: Reduction): tf.Scalar | tf.Tensor1D {
  if (logits.shape.join('x') !== target.shape.join('x')) throw new Error(`${OP}: logits [${logits.shape}] and targets [${target.shape}] differ`);
  if (target.dtype !== 'float32') throw new Error(`${OP}: probability targets must be float32, got ${target.dtype}`);
  if (ignoreIndex !== undefined && ignoreIndex >= 0) throw new Error(`${OP}: ignoreIndex is not supported with probability targets, got ${ignoreIndex}`);
  const c = logits.shape[1];
  return tf.tidy(() => {
    const t = smoothing > 0 ? tf.add(tf.mul(target, 1 - smoothing), smoothing / c) : target;
    const weighted = weight ? tf.mul(tf.mul(t, tf.logSoftmax(logits, -1)), weight) : tf.mul(t, tf.logSoftmax(logits, -1));
    return reduceLoss(tf.neg(tf.sum(weighted, -1)), reduction) as tf.Scalar | tf.Tensor1D;
  });
}
