import { loadStateDict, torchShapeOf, type HostTensor, type Module } from '@tfvision/nn';
import { fnv1a32 } from '@tfvision/backbones';

/**
 * Full-rank deterministic weights shared with packages/heads/tools/reference/hash_weights.py
 * (the rule is written there; keep the two in step). The backbones' sine formula gives rank-2
 * conv and linear weights, under which a detector scores every RoI alike; these are a 32-bit
 * integer hash of (name, PyTorch-layout flat index), exact on both sides.
 */
// Closure constants: Math.* in a hot loop is a slow global lookup inside jest's vm context.
const { imul, sqrt } = Math;

export function hashUniform(name: string, n: number): Float64Array {
  const seed = fnv1a32(name);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // (seed + i * 0x9E3779B9) mod 2^32 without leaving exact integer arithmetic.
    let h = (seed + imul(i, 0x9e3779b9)) >>> 0;
    h ^= h >>> 16;
    h = imul(h, 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
    h = imul(h, 0xc2b2ae35) >>> 0;
    h ^= h >>> 16;
    out[i] = ((h >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

/** The value of the tensor `name` with PyTorch shape `torchShape`, in PyTorch layout. */
export function hashTensor(name: string, torchShape: readonly number[]): HostTensor {
  const n = torchShape.reduce((a, b) => a * b, 1);
  if (name.endsWith('num_batches_tracked')) return { dtype: 'I64', shape: [...torchShape], data: new Int32Array(n) };
  const u = hashUniform(name, n);
  const v = new Float32Array(n);
  if (name.endsWith('running_mean')) for (let i = 0; i < n; i++) v[i] = 0.1 * u[i];
  else if (name.endsWith('running_var')) for (let i = 0; i < n; i++) v[i] = 1 + 0.25 * (u[i] + 1);
  else if (torchShape.length >= 2) {
    const scale = sqrt(6 / torchShape.slice(1).reduce((a, b) => a * b, 1));
    for (let i = 0; i < n; i++) v[i] = u[i] * scale;
  } else if (name.endsWith('.weight')) for (let i = 0; i < n; i++) v[i] = 0.6 + 0.1 * u[i];
  else for (let i = 0; i < n; i++) v[i] = 0.1 * u[i];
  return { dtype: 'F32', shape: [...torchShape], data: v };
}

/**
 * Fills every parameter and buffer of `model` with hash weights under the names `nameOf` gives
 * (default: the module's own dotted names; a detector passes its reference's names).
 */
export function fillHashWeights(model: Module, nameOf: (ownName: string) => string = (n) => n): void {
  const tensors = new Map<string, HostTensor>();
  for (const [name, variable] of model.stateDict()) tensors.set(name, hashTensor(nameOf(name), torchShapeOf(variable.shape)));
  loadStateDict(model, tensors, { source: 'hash weights' });
}
