import * as tf from '@tensorflow/tfjs-core';

/**
 * The reductions of torch.nn.functional losses: 'none' keeps one loss per element (per sample
 * for cross-entropy), 'sum' adds them, 'mean' divides the sum by their count (cross-entropy
 * with class weights divides by the summed weights instead; see crossEntropy).
 */
export type Reduction = 'mean' | 'sum' | 'none';

const REDUCTIONS: readonly string[] = ['mean', 'sum', 'none'];

/** `reduction`, or a one-line error naming `op` when it is none of the three. */
export function checkReduction(op: string, reduction: string | undefined): Reduction {
  const r = reduction ?? 'mean';
  if (!REDUCTIONS.includes(r)) throw new Error(`${op}: reduction must be 'mean', 'sum' or 'none', got '${r}'`);
  return r as Reduction;
}

/** Applies an elementwise reduction; the mean of an empty loss is NaN, as in PyTorch. */
export function reduceLoss(loss: tf.Tensor, reduction: Reduction): tf.Tensor {
  if (reduction === 'none') return loss;
  return reduction === 'sum' ? tf.sum(loss) : tf.mean(loss);
}

/** Throws unless `shape` broadcasts to `target` without growing it (PyTorch's rule for a loss weight). */
export function checkBroadcastsTo(op: string, arg: string, shape: readonly number[], target: readonly number[]): void {
  const ok = shape.length <= target.length && shape.every((d, i) => d === 1 || d === target[target.length - shape.length + i]);
  if (!ok) throw new Error(`${op}: ${arg} of shape [${shape}] does not broadcast to [${target}]`);
}
