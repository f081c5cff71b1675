import * as tf from '@tensorflow/tfjs-core';
import type { CpuBackendLike, WasmBackendLike } from '../host-backend.js';
import { batchNormBackwardArrays, batchNormForwardArrays } from './arrays.js';
import type { BatchNormTrainAttrs } from './names.js';

/**
 * The BatchNorm training kernels for tfjs-backend-cpu (its JS typed arrays) and
 * tfjs-backend-wasm (Float32Array views of the wasm heap, so nothing is copied). Both run the
 * loops of arrays.ts; they differ only in how a tensor's memory is reached and allocated.
 */
interface ArrayBackend {
  read(t: tf.TensorInfo): Float32Array;
  /** Allocates every output first, then returns views (a wasm heap can grow while allocating). */
  allocate(shapes: number[][]): { infos: tf.TensorInfo[]; views: () => Float32Array[] };
}

function float32(op: string, name: string, t: tf.TensorInfo): void {
  if (t.dtype !== 'float32') throw new Error(`${op}: ${name} must be float32, got ${t.dtype}`);
}

function cpuArrays(backend: tf.KernelBackend): ArrayBackend {
  const b = backend as unknown as CpuBackendLike;
  return {
    read: (t) => b.data.get(t.dataId).values as Float32Array,
    allocate: (shapes) => {
      const arrays = shapes.map((s) => new Float32Array(tf.util.sizeFromShape(s)));
      return { infos: shapes.map((s, i) => b.makeTensorInfo(s, 'float32', arrays[i])), views: () => arrays };
    },
  };
}

function wasmArrays(backend: tf.KernelBackend): ArrayBackend {
  const b = backend as unknown as WasmBackendLike;
  return {
    read: (t) => b.typedArrayFromHeap(t),
    allocate: (shapes) => {
      const infos = shapes.map((s) => b.makeOutput(s, 'float32'));
      return { infos, views: () => infos.map((t) => b.typedArrayFromHeap(t)) };
    },
  };
}

function forwardKernel(arraysOf: (b: tf.KernelBackend) => ArrayBackend, op: string): tf.KernelFunc {
  return ({ inputs, attrs, backend }) => {
    const { x, gamma, beta, runningMean, runningVar } = inputs as Record<string, tf.TensorInfo | undefined>;
    if (!x || !gamma || !beta) throw new Error(`${op}: x, gamma and beta are required`);
    for (const [name, t] of Object.entries({ x, gamma, beta, runningMean, runningVar })) if (t) float32(op, name, t);
    const { eps, momentum } = attrs as unknown as BatchNormTrainAttrs;
    const c = gamma.shape[0];
    const running = runningMean !== undefined && runningVar !== undefined;
    const mem = arraysOf(backend as tf.KernelBackend);
    const shapes = [x.shape, [3, c], ...(running ? [[c], [c]] : [])];
    const { infos, views } = mem.allocate(shapes);
    // Read inputs after allocating: on wasm the heap (and every view of it) may have moved.
    const [y, stats, newRunningMean, newRunningVar] = views();
    batchNormForwardArrays(
      { x: mem.read(x), gamma: mem.read(gamma), beta: mem.read(beta), runningMean: runningMean && mem.read(runningMean), runningVar: runningVar && mem.read(runningVar), y, stats, newRunningMean, newRunningVar },
      eps,
      momentum,
    );
    return infos;
  };
}

function backwardKernel(arraysOf: (b: tf.KernelBackend) => ArrayBackend, op: string): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const { dy, x, stats, gamma } = inputs as Record<string, tf.TensorInfo>;
    for (const [name, t] of Object.entries({ dy, x, stats, gamma })) float32(op, name, t);
    const c = gamma.shape[0];
    const mem = arraysOf(backend as tf.KernelBackend);
    const { infos, views } = mem.allocate([x.shape, [c], [c]]);
    const [dx, dgamma, dbeta] = views();
    batchNormBackwardArrays({ dy: mem.read(dy), x: mem.read(x), stats: mem.read(stats), gamma: mem.read(gamma), dx, dgamma, dbeta });
    return infos;
  };
}

export const cpuBatchNormTrain = (op: string) => forwardKernel(cpuArrays, op);
export const cpuBatchNormTrainGrad = (op: string) => backwardKernel(cpuArrays, op);
export const wasmBatchNormTrain = (op: string) => forwardKernel(wasmArrays, op);
export const wasmBatchNormTrainGrad = (op: string) => backwardKernel(wasmArrays, op);
