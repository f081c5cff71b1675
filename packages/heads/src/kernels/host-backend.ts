import type * as tf from '@tensorflow/tfjs-core';

/** What the host kernels need of tfjs-backend-cpu's backend: typed-array reads and writes. */
export interface CpuBackendLike {
  readSync(dataId: tf.TensorInfo['dataId']): tf.backend_util.BackendValues;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.backend_util.BackendValues): tf.TensorInfo;
}

/** What the wasm kernels need of tfjs-backend-wasm's backend (its allocator and heap views). */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): tf.backend_util.TypedArray;
  disposeData(dataId: tf.TensorInfo['dataId']): boolean;
}

export type Shape4 = [number, number, number, number];

/** One-line error when a host kernel is handed something other than float32. */
export function checkFloat32(op: string, name: string, t: tf.TensorInfo): void {
  if (t.dtype !== 'float32') throw new Error(`${op}: ${name} must be float32, got ${t.dtype}`);
}
