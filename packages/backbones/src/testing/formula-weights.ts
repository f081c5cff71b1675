import * as tf from '@tensorflow/tfjs-core';
import { loadStateDict, torchShapeOf, type HostTensor, type Module } from '@tfvision/nn';

/**
 * Deterministic "formula" weights shared with tools/make_equivalence.py, so a model can be
 * compared with its reference implementation without storing checkpoints: both sides fill every
 * parameter and buffer from its PyTorch name and PyTorch-layout flat index. Keep the two in step.
 */
export const FORMULA = { golden: 2.399963229728653, weightGain: 2.0, bnScaleBase: 0.6 } as const;

export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

// A closure constant: `Math.sin` in a hot loop is a slow global lookup inside jest's vm context.
const { sin, sqrt, PI } = Math;

/** sin(phase(name) + i * golden) for i in [0, n), in float64. */
export function formulaWave(name: string, n: number): Float64Array {
  const phase = (fnv1a32(name) / 2 ** 32) * 2 * PI;
  const out = new Float64Array(n);
  const golden = FORMULA.golden;
  for (let i = 0; i < n; i++) out[i] = sin(phase + i * golden);
  return out;
}

/** The value of the tensor `name` with PyTorch shape `torchShape`, in PyTorch layout. */
export function formulaTensor(name: string, torchShape: readonly number[]): HostTensor {
  const n = torchShape.reduce((a, b) => a * b, 1);
  if (name.endsWith('num_batches_tracked')) return { dtype: 'I64', shape: [...torchShape], data: new Int32Array(n) };
  const s = formulaWave(name, n);
  const v = new Float32Array(n);
  if (name.endsWith('running_mean')) for (let i = 0; i < n; i++) v[i] = 0.1 * s[i];
  else if (name.endsWith('running_var')) for (let i = 0; i < n; i++) v[i] = 1 + 0.25 * (s[i] + 1);
  else if (torchShape.length >= 2) {
    const scale = FORMULA.weightGain / sqrt(torchShape.slice(1).reduce((a, b) => a * b, 1));
    for (let i = 0; i < n; i++) v[i] = s[i] * scale;
  } else if (name.endsWith('.weight')) for (let i = 0; i < n; i++) v[i] = FORMULA.bnScaleBase + 0.1 * s[i];
  else for (let i = 0; i < n; i++) v[i] = 0.1 * s[i];
  return { dtype: 'F32', shape: [...torchShape], data: v };
}

/** Fills every parameter and buffer of `model` with the formula (strict: every name must be ours). */
export function fillFormulaWeights(model: Module): void {
  const tensors = new Map<string, HostTensor>();
  for (const [name, variable] of model.stateDict()) tensors.set(name, formulaTensor(name, torchShapeOf(variable.shape)));
  loadStateDict(model, tensors, { source: 'formula weights' });
}

/** The formula input as NHWC (the reference builds it NCHW from the same flat indices). */
export function formulaInput(batch: number, channels: number, height: number, width: number): tf.Tensor4D {
  const nchw = formulaWave('input', batch * channels * height * width);
  return tf.tidy(() => tf.transpose(tf.tensor4d(Float32Array.from(nchw), [batch, channels, height, width]), [0, 2, 3, 1]) as tf.Tensor4D);
}
