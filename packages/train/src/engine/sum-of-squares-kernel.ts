import * as tf from '@tensorflow/tfjs-core';
import { registerKernelIfAbsent, type CpuBackendLike, type WasmBackendLike } from '@tfvision/nn';

/**
 * The sum of the squares of every element of a list of tensors, one kernel for the list: the
 * global gradient norm of clipping (grad-clip.ts). As tf ops it is a Square and a Sum per
 * parameter plus an AddN, ~220 kernels for the demo's Mask R-CNN each step.
 *
 * TfvSumOfSquares: inputs the tensors (an array, as AddN takes them), float32; output a float32
 * scalar. The arithmetic, which @tfvision/native's C repeats bit for bit: each tensor in order,
 * in chunks of SUM_OF_SQUARES_CHUNK elements; a chunk's squares (exact in float64) summed in
 * float64 in element order, the chunk sums added to one float64 total in order; the total
 * rounded to float32 once. cpu and wasm run the loop on the backend's memory; other backends
 * compose float32 Square, Sum and AddN (the same value to float32 rounding).
 */
export const SumOfSquares = 'TfvSumOfSquares';
/** Chunk length: the unit the native kernel hands to its threads. */
export const SUM_OF_SQUARES_CHUNK = 4096;

/** The kernel's arithmetic on flat arrays (float64 total; the kernel rounds it to float32). */
export function sumOfSquaresArrays(arrays: readonly Float32Array[]): number {
  let total = 0;
  for (const a of arrays) {
    for (let start = 0; start < a.length; start += SUM_OF_SQUARES_CHUNK) {
      const end = Math.min(a.length, start + SUM_OF_SQUARES_CHUNK);
      let chunk = 0;
      for (let i = start; i < end; i++) chunk += a[i] * a[i];
      total += chunk;
    }
  }
  return total;
}

function checkInputs(inputs: tf.NamedTensorInfoMap): tf.TensorInfo[] {
  const list = inputs as unknown as tf.TensorInfo[];
  list.forEach((t, i) => {
    if (t.dtype !== 'float32') throw new Error(`${SumOfSquares}: input ${i} must be float32, got ${t.dtype}`);
  });
  return list;
}

const cpuKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const b = backend as unknown as CpuBackendLike;
  const total = sumOfSquaresArrays(checkInputs(inputs).map((t) => b.data.get(t.dataId).values as Float32Array));
  return b.makeTensorInfo([], 'float32', Float32Array.of(total));
};

const wasmKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const list = checkInputs(inputs);
  const b = backend as unknown as WasmBackendLike;
  const out = b.makeOutput([], 'float32');
  // Views after allocating: the heap may have grown (and moved every view) meanwhile.
  b.typedArrayFromHeap(out)[0] = sumOfSquaresArrays(list.map((t) => b.typedArrayFromHeap(t)));
  return out;
};

const compositeKernel: tf.KernelFunc = ({ inputs }) =>
  tf.tidy(() => {
    const list = checkInputs(inputs).map((info) => (info instanceof tf.Tensor ? info : tf.engine().makeTensorFromTensorInfo(info)));
    if (list.length === 0) return tf.scalar(0);
    return tf.addN(list.map((t) => tf.sum(tf.square(t))));
  }) as unknown as tf.TensorInfo;

const KERNELS: Record<string, tf.KernelFunc> = { cpu: cpuKernel, wasm: wasmKernel, webgpu: compositeKernel, tensorflow: compositeKernel, webgl: compositeKernel };

/** Registers the kernel for every backend (idempotent); a backend outside the table composes ops. */
export function ensureSumOfSquaresKernel(): void {
  for (const [backendName, kernelFunc] of Object.entries(KERNELS)) registerKernelIfAbsent(SumOfSquares, backendName, kernelFunc);
  registerKernelIfAbsent(SumOfSquares, tf.getBackend(), compositeKernel);
}

/** Σ x² over every element of `tensors`, as a float32 scalar tensor. */
export function sumOfSquares(tensors: readonly tf.Tensor[]): tf.Scalar {
  ensureSumOfSquaresKernel();
  return tf.engine().runKernel(SumOfSquares, tensors as unknown as tf.NamedTensorMap, {}) as tf.Scalar;
}
