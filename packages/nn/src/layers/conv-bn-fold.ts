import * as tf from '@tensorflow/tfjs-core';
import type { Conv2d } from './conv.js';
import type { BatchNorm2d } from './batchnorm.js';

/**
 * BatchNorm folded into the preceding convolution (W' = W·γ/√(σ²+ε), b' = β − μ·γ/√(σ²+ε)),
 * and the per-convolution cache of the folded weights. Its own file so that Conv2d (which frees
 * the cache) and convBn (which fills it) import it rather than each other; it only needs their
 * types.
 */

interface Folded {
  /** dataIds the folded tensors were computed from; Variable.assign replaces a dataId. */
  sources: object[];
  weight: tf.Tensor4D;
  bias: tf.Tensor1D;
}

const folds = new WeakMap<Conv2d, Folded>();

function sourcesOf(conv: Conv2d, bn: BatchNorm2d): object[] {
  const ts: tf.Tensor[] = [conv.weight, bn.weight, bn.bias, bn.runningMean, bn.runningVar];
  if (conv.bias) ts.push(conv.bias);
  return ts.map((t) => t.dataId);
}

/** W' = W * gamma / sqrt(var + eps) per output channel (HWIO broadcasts over O), b' = beta - mean * scale (+ b * scale). */
export function foldBn(conv: Conv2d, bn: BatchNorm2d): { weight: tf.Tensor4D; bias: tf.Tensor1D } {
  return tf.tidy(() => {
    const scale = tf.mul(bn.weight, tf.rsqrt(tf.add(bn.runningVar, bn.eps))) as tf.Tensor1D;
    let bias = tf.sub(bn.bias, tf.mul(bn.runningMean, scale)) as tf.Tensor1D;
    if (conv.bias) bias = tf.add(bias, tf.mul(conv.bias, scale)) as tf.Tensor1D;
    return { weight: tf.mul(conv.weight, scale) as tf.Tensor4D, bias };
  });
}

/** Folded weights for inference, recomputed only when a source variable was assigned. */
export function cachedFoldBn(conv: Conv2d, bn: BatchNorm2d): { weight: tf.Tensor4D; bias: tf.Tensor1D } {
  const sources = sourcesOf(conv, bn);
  const hit = folds.get(conv);
  if (hit && hit.sources.length === sources.length && hit.sources.every((s, i) => s === sources[i])) return hit;
  if (hit) tf.dispose([hit.weight, hit.bias]);
  const { weight, bias } = foldBn(conv, bn);
  const entry = { sources, weight: tf.keep(weight), bias: tf.keep(bias) };
  folds.set(conv, entry);
  return entry;
}

/** Frees the folded copy of `conv`'s weights (Conv2d.releaseInferenceCache calls it). */
export function disposeFolded(conv: Conv2d): void {
  const hit = folds.get(conv);
  if (hit) {
    tf.dispose([hit.weight, hit.bias]);
    folds.delete(conv);
  }
}
