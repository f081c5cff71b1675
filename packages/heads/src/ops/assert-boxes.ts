/**
 * Input checks shared by the box ops: one-line errors that name the op, the argument and the
 * bad value, as tfjs's own op assertions do.
 */
import type * as tf from '@tensorflow/tfjs-core';

/** Boxes must be a float32 [N, 4] tensor (or [..., 4] when `anyRank`). */
export function assertBoxes(op: string, name: string, boxes: tf.Tensor, anyRank = false): void {
  const shape = boxes.shape;
  const ok = anyRank ? shape.length >= 2 && shape[shape.length - 1] === 4 : shape.length === 2 && shape[1] === 4;
  if (!ok) throw new Error(`${op}: ${name} must have shape ${anyRank ? '[..., 4]' : '[N, 4]'}, got [${shape.join(', ')}]`);
  if (boxes.dtype !== 'float32') throw new Error(`${op}: ${name} must be float32, got ${boxes.dtype}`);
}

export function assertHostBoxes(op: string, name: string, boxes: Float32Array, count: number): void {
  if (boxes.length !== 4 * count) throw new Error(`${op}: ${name} must hold 4 values per box (${4 * count}), got ${boxes.length}`);
}

export function assertScores(op: string, scores: tf.Tensor, count: number): void {
  if (scores.rank !== 1 || scores.shape[0] !== count) throw new Error(`${op}: scores must have shape [${count}], got [${scores.shape.join(', ')}]`);
  if (scores.dtype !== 'float32') throw new Error(`${op}: scores must be float32, got ${scores.dtype}`);
}

export function assertIouThreshold(op: string, iouThreshold: number): void {
  if (typeof iouThreshold !== 'number' || Number.isNaN(iouThreshold)) throw new Error(`${op}: iouThreshold must be a number, got ${iouThreshold}`);
}
