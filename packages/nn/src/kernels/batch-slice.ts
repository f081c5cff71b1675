import * as tf from '@tensorflow/tfjs-core';

/**
 * Splitting along the batch axis into equal contiguous parts. tfjs-backend-wasm's Slice and
 * SplitV copy the whole input out of the heap for every output (readSync), so cutting a
 * 1.6M-element tensor into 16 parts took 70 ms there — more than the 16 convolutions that
 * followed. On wasm this kernel copies each part's bytes within the heap instead.
 */
export const BatchSlice = 'TfvBatchSlice';

interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): tf.TypedArray;
}

const wasmBatchSlice: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const x = inputs.x as tf.TensorInfo;
  const { begin, size } = attrs as unknown as { begin: number; size: number };
  const heap = backend as unknown as WasmHeapBackend;
  const row = x.shape.slice(1).reduce((a, b) => a * b, 1);
  const out = heap.makeOutput([size, ...x.shape.slice(1)], x.dtype);
  // Views are taken after makeOutput: allocating may grow (and so detach) the heap.
  const src = heap.typedArrayFromHeap(x);
  heap.typedArrayFromHeap(out).set(src.subarray(begin * row, (begin + size) * row));
  return out;
};

let registered = false;
export function registerBatchSliceKernel(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({ kernelName: BatchSlice, backendName: 'wasm', kernelFunc: wasmBatchSlice });
}

/** Splits `x` into `parts` equal contiguous pieces along axis 0. */
export function splitBatch<T extends tf.Tensor>(x: T, parts: number): T[] {
  if (parts === 1) return [x];
  if (x.shape[0] % parts !== 0) throw new Error(`splitBatch: batch ${x.shape[0]} is not divisible into ${parts} parts`);
  const size = x.shape[0] / parts;
  if (!tf.getKernel(BatchSlice, tf.getBackend()) || x.dtype === 'string') return tf.split(x, parts, 0) as T[];
  return Array.from({ length: parts }, (_, i) => tf.engine().runKernel(BatchSlice, { x }, { begin: i * size, size }) as T);
}
