/**
 * Gradient clipping by global L2 norm, torch.nn.utils.clip_grad_norm_'s rule (detectron2's
 * CLIP_TYPE "norm"): when the norm over all gradients exceeds maxNorm, every gradient is scaled
 * by maxNorm / (norm + 1e-6).
 */
import * as tf from '@tensorflow/tfjs-core';
import { sumOfSquares } from './sum-of-squares-kernel.js';

/** Returns the gradients to apply (new tensors when scaled; the caller frees both maps) and the norm before clipping. */
export function clipGradNorm(grads: Map<string, tf.Tensor>, maxNorm: number): { grads: Map<string, tf.Tensor>; norm: number } {
  if (!(maxNorm > 0)) throw new Error(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  const sq = sumOfSquares([...grads.values()]);
  const norm = Math.sqrt(sq.dataSync()[0]);
  sq.dispose();
  const coef = maxNorm / (norm + 1e-6);
  if (coef >= 1) return { grads, norm };
  const out = new Map<string, tf.Tensor>();
  for (const [k, g] of grads) out.set(k, tf.mul(g, coef));
  return { grads: out, norm };
}
