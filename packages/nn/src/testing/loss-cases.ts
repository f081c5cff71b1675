import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy } from '../losses/cross-entropy.js';
import { binaryCrossEntropyWithLogits } from '../losses/binary-cross-entropy.js';
import { smoothL1Loss } from '../losses/smooth-l1.js';
import type { Reduction } from '../losses/reduction.js';

/**
 * The cases of packages/nn/tools/reference/losses.py (fixture losses.json) and our value and
 * gradient for each. Gradients are of sum(loss · upstream), with torch's random `upstream` for
 * 'none' and 1 for the scalar reductions, so every per-element gradient path is weighted
 * differently.
 */

export interface CrossEntropyCase {
  name: string;
  logits: number[][];
  target: number[] | number[][];
  soft: boolean;
  options: { reduction: Reduction; weight?: number[]; ignoreIndex?: number; labelSmoothing?: number };
  upstream: number | number[];
  loss: number | number[];
  grad: number[][];
}

export interface BinaryCrossEntropyCase {
  name: string;
  shape: number[];
  logits: number[];
  target: number[];
  options: { reduction: Reduction; weight?: number[]; weightShape?: number[]; posWeight?: number[] };
  upstream: number | number[];
  loss: number | number[];
  grad: number[];
}

export interface SmoothL1Case {
  name: string;
  shape: number[];
  input: number[];
  target: number[];
  options: { reduction: Reduction; beta: number };
  upstream: number | number[];
  loss: number | number[];
  grad: number[];
}

export interface LossFixture {
  generator: string;
  torch: string;
  crossEntropy: CrossEntropyCase[];
  binaryCrossEntropyWithLogits: BinaryCrossEntropyCase[];
  smoothL1: SmoothL1Case[];
}

export interface LossResult {
  loss: Float32Array;
  grad: Float32Array;
}

/** `loss(x)` and d sum(loss(x) · upstream) / dx. */
function valueAndGrad(x: tf.Tensor, upstream: number | number[], loss: (x: tf.Tensor) => tf.Tensor): [tf.Tensor, tf.Tensor] {
  const value = loss(x);
  const up = typeof upstream === 'number' ? tf.scalar(upstream) : tf.tensor(upstream, value.shape);
  return [value, tf.grad((v: tf.Tensor) => tf.sum(tf.mul(loss(v), up)))(x)];
}

/** Runs `compute` in a scope and reads its value and gradient back to the host. */
function onHost(compute: () => [tf.Tensor, tf.Tensor]): LossResult {
  const [value, grad] = tf.tidy(compute);
  const out = { loss: value.dataSync() as Float32Array, grad: grad.dataSync() as Float32Array };
  tf.dispose([value, grad]);
  return out;
}

/** Ours for a cross-entropy case; `hostLabels` passes integer labels as an Int32Array instead of a tensor. */
export function runCrossEntropyCase(c: CrossEntropyCase, hostLabels: boolean): LossResult {
  return onHost(() => {
    const logits = tf.tensor2d(c.logits);
    const weight = c.options.weight ? tf.tensor1d(c.options.weight) : undefined;
    const target = c.soft ? tf.tensor2d(c.target as number[][]) : hostLabels ? Int32Array.from(c.target as number[]) : tf.tensor1d(c.target as number[], 'int32');
    const options = { reduction: c.options.reduction, weight, ignoreIndex: c.options.ignoreIndex, labelSmoothing: c.options.labelSmoothing };
    return valueAndGrad(logits, c.upstream, (x) => crossEntropy(x as tf.Tensor2D, target, options));
  });
}

export function runBinaryCrossEntropyCase(c: BinaryCrossEntropyCase): LossResult {
  return onHost(() => {
    const logits = tf.tensor(c.logits, c.shape);
    const target = tf.tensor(c.target, c.shape);
    const weight = c.options.weight ? tf.tensor(c.options.weight, c.options.weightShape) : undefined;
    const posWeight = c.options.posWeight ? tf.tensor1d(c.options.posWeight) : undefined;
    return valueAndGrad(logits, c.upstream, (x) => binaryCrossEntropyWithLogits(x, target, { reduction: c.options.reduction, weight, posWeight }));
  });
}

export function runSmoothL1Case(c: SmoothL1Case): LossResult {
  return onHost(() => {
    const input = tf.tensor(c.input, c.shape);
    const target = tf.tensor(c.target, c.shape);
    return valueAndGrad(input, c.upstream, (x) => smoothL1Loss(x, target, c.options));
  });
}

/** A fixture value (scalar or nested arrays) as a flat list. */
export function flat(v: number | number[] | number[][]): number[] {
  return typeof v === 'number' ? [v] : (v as (number | number[])[]).flat();
}
