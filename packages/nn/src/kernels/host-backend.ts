import type * as tf from '@tensorflow/tfjs-core';

/** What a kernel running its loop in JS needs of tfjs-backend-cpu's backend: its arrays, and an output from an array. */
export interface CpuBackendLike {
  data: { get(dataId: object): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
}

/** What such a kernel needs of tfjs-backend-wasm's backend: its allocator and views of its heap. */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}
