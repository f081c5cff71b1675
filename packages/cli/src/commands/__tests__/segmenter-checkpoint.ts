/**
 * Test checkpoints for `tfvision segment` / `eval seg`: a preset filled with full-rank
 * deterministic weights (a 32-bit hash of name and PyTorch-layout index, scaled by fan-in as
 * Kaiming-uniform is; BatchNorm statistics near identity, the rule of @tfvision/heads'
 * testing/hash-weights.ts), saved in the reference's layout with @tfvision/nn's saveStateDict.
 */
import { fnv1a32 } from '@tfvision/backbones';
import { loadStateDict, saveStateDict, torchShapeOf, type HostTensor, type Module } from '@tfvision/nn';

// Closure constants: a global Math lookup in a hot loop is slow inside jest's vm context.
const { imul, sqrt } = Math;

export function fillHashWeights(model: Module): void {
  const tensors = new Map<string, HostTensor>();
  for (const [name, v] of model.stateDict()) {
    const shape = torchShapeOf(v.shape);
    const n = shape.reduce((a, b) => a * b, 1);
    if (name.endsWith('num_batches_tracked')) {
      tensors.set(name, { dtype: 'I64', shape, data: new Int32Array(n) });
      continue;
    }
    const seed = fnv1a32(name);
    const scale = shape.length >= 2 ? sqrt(6 / shape.slice(1).reduce((a, b) => a * b, 1)) : 1;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let h = (seed + imul(i, 0x9e3779b9)) >>> 0;
      h = imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
      h = imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
      const u = (((h ^ (h >>> 16)) >>> 0) / 2 ** 32) * 2 - 1;
      data[i] = name.endsWith('running_var') ? 1 + 0.25 * (u + 1) : name.endsWith('running_mean') ? 0.1 * u : shape.length >= 2 ? u * scale : name.endsWith('.weight') ? 0.6 + 0.1 * u : 0.1 * u;
    }
    tensors.set(name, { dtype: 'F32', shape, data });
  }
  loadStateDict(model, tensors, { source: 'hash weights' });
}

/** Hash-fills `model` (eval mode) and writes it to `path` as a PyTorch-layout safetensors file. */
export async function hashCheckpoint(model: Module, path: string): Promise<void> {
  fillHashWeights(model);
  model.eval();
  await saveStateDict(model, path);
}
