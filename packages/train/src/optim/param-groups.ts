import type * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, type Module } from '@tfvision/nn';

/** One trainable parameter with the weight decay the recipe gives it. */
export interface ParamEntry {
  name: string;
  variable: tf.Variable;
  weightDecay: number;
  /** This parameter's learning rate is the step's lr times this (detectron2's per-name lr factors). Default 1. */
  lrMult?: number;
}

/**
 * The ResNeSt recipe's weight-decay rule ("no bias decay"): decay only convolution and linear
 * weights (rank >= 2), never BatchNorm affine parameters or biases. Names come from
 * `namedParameters()`, so a rule decision can be checked against PyTorch names.
 */
export function decaysWeight(name: string, shape: readonly number[], normParams: ReadonlySet<string>): boolean {
  if (shape.length < 2) return false;
  if (name === 'bias' || name.endsWith('.bias')) return false;
  return !normParams.has(name);
}

/** Trainable parameters of `model` with `weightDecay` on conv/linear weights and 0 elsewhere. */
export function paramGroupsForModel(model: Module, weightDecay: number): ParamEntry[] {
  const normParams = new Set<string>();
  for (const [prefix, m] of model.namedModules()) {
    if (m instanceof BatchNorm2d) for (const [n] of m.namedParameters(prefix)) normParams.add(n);
  }
  return model
    .namedParameters()
    .filter(([, v]) => v.trainable)
    .map(([name, variable]) => ({ name, variable, weightDecay: decaysWeight(name, variable.shape, normParams) ? weightDecay : 0 }));
}
