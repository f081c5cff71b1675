import * as tf from '@tensorflow/tfjs-core';
import { formatShape, isFloatDtype, type HostTensor, type StoredDtype } from './host-tensor.js';

/** The tfjs dtype a stored dtype loads as: floats → float32, integers → int32, BOOL → bool. */
export function tfDtypeOf(dtype: StoredDtype): 'float32' | 'int32' | 'bool' {
  if (isFloatDtype(dtype)) return 'float32';
  return dtype === 'BOOL' ? 'bool' : 'int32';
}

/**
 * `data` as the typed array tfjs wants for `target` (the same array when it already is one;
 * tfjs backends may keep it as their storage, so do not mutate it afterwards).
 */
export function toTfValues(data: HostTensor['data'], target: 'float32' | 'int32' | 'bool'): Float32Array | Int32Array | Uint8Array {
  if (target === 'float32') return data instanceof Float32Array ? data : Float32Array.from(data);
  if (target === 'int32') return data instanceof Int32Array ? data : Int32Array.from(data);
  return data instanceof Uint8Array ? data : Uint8Array.from(data, (v) => (v ? 1 : 0));
}

/** A tf.Tensor holding a host tensor (e.g. from readNpy); F64 is narrowed to float32. */
export function hostToTensor(t: HostTensor): tf.Tensor {
  const dtype = tfDtypeOf(t.dtype);
  return tf.tensor(toTfValues(t.data, dtype), t.shape, dtype);
}

/** A host tensor with a copy of `t`'s values (float32 → F32, int32 → I32, bool → BOOL). */
export async function tensorToHost(t: tf.Tensor): Promise<HostTensor> {
  const values = await t.data();
  const shape = [...t.shape];
  if (t.dtype === 'float32') return { dtype: 'F32', shape, data: Float32Array.from(values as Float32Array) };
  if (t.dtype === 'int32') return { dtype: 'I32', shape, data: Int32Array.from(values as Int32Array) };
  if (t.dtype === 'bool') return { dtype: 'BOOL', shape, data: Uint8Array.from(values as Uint8Array) };
  throw new Error(`tensorToHost: tensor of dtype ${t.dtype} and shape ${formatShape(shape)} cannot be stored (float32, int32, bool can)`);
}
