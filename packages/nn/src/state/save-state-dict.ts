import type { Module } from '../module.js';
import type { HostTensor, TensorMap } from './host-tensor.js';
import { torchLayoutFor, toTorchLayout, type TorchLayout } from './torch-layout.js';
import { writeSafetensors } from './safetensors-file.js';
import type { SafetensorsMetadata } from './safetensors.js';

export interface StateDictExportOptions {
  /** Layout of our parameter `name`; default by its rank (torchLayoutFor), as when loading. */
  layoutFor?: (name: string, ourShape: readonly number[]) => TorchLayout;
  /** Stored dtype of float32 tensors (default F32; F16/BF16 halve the file). */
  floatDtype?: 'F32' | 'F16' | 'BF16';
}

/**
 * Every parameter and buffer of `module` under its PyTorch name, in PyTorch layout (OIHW,
 * [out, in]) and PyTorch dtypes: int32 buffers are stored as I64 (torch.long, e.g. BatchNorm's
 * num_batches_tracked), so `model.load_state_dict(load_file(path))` works in PyTorch/timm.
 */
export async function stateDictToTensorMap(module: Module, options: StateDictExportOptions = {}): Promise<TensorMap> {
  const layoutFor = options.layoutFor ?? ((_name: string, shape: readonly number[]) => torchLayoutFor(shape));
  const out: TensorMap = new Map();
  for (const [name, v] of module.stateDict()) {
    const values = await v.data();
    const ourShape = [...v.shape];
    let t: HostTensor;
    if (v.dtype === 'float32') {
      // Copy: backends may hand out their own storage, which the caller must not be able to mutate.
      const { shape, data } = toTorchLayout(name, ourShape, Float32Array.from(values as Float32Array), layoutFor(name, ourShape));
      t = { dtype: options.floatDtype ?? 'F32', shape, data };
    } else if (v.dtype === 'int32') {
      const { shape, data } = toTorchLayout(name, ourShape, Int32Array.from(values as Int32Array), layoutFor(name, ourShape));
      t = { dtype: 'I64', shape, data };
    } else if (v.dtype === 'bool') {
      t = { dtype: 'BOOL', shape: ourShape, data: Uint8Array.from(values as Uint8Array) };
    } else {
      throw new Error(`stateDictToTensorMap: ${name} has dtype ${v.dtype}, which safetensors export does not support`);
    }
    out.set(name, t);
  }
  return out;
}

/**
 * Saves `module` as a PyTorch-compatible safetensors file (atomically). Metadata gets
 * `format: "pt"` unless given, as safetensors.torch.save_file writes.
 */
export async function saveStateDict(module: Module, path: string, metadata: SafetensorsMetadata = {}, options: StateDictExportOptions = {}): Promise<void> {
  const tensors = await stateDictToTensorMap(module, options);
  writeSafetensors(path, tensors, { format: 'pt', ...metadata });
}
