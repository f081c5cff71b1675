import * as tf from '@tensorflow/tfjs-core';
import { registerKernelIfAbsent } from '../composite.js';
import { compositeBatchNormTrain, compositeBatchNormTrainGrad } from './composite.js';
import { cpuBatchNormTrain, cpuBatchNormTrainGrad, wasmBatchNormTrain, wasmBatchNormTrainGrad } from './cpu-wasm.js';
import { BatchNormTrain, BatchNormTrainGrad } from './names.js';
import { webgpuBatchNormTrain, webgpuBatchNormTrainGrad } from './webgpu.js';

const KERNELS: Record<string, [tf.KernelFunc, tf.KernelFunc]> = {
  cpu: [cpuBatchNormTrain(BatchNormTrain), cpuBatchNormTrainGrad(BatchNormTrainGrad)],
  wasm: [wasmBatchNormTrain(BatchNormTrain), wasmBatchNormTrainGrad(BatchNormTrainGrad)],
  webgpu: [webgpuBatchNormTrain, webgpuBatchNormTrainGrad],
  tensorflow: [compositeBatchNormTrain, compositeBatchNormTrainGrad],
  webgl: [compositeBatchNormTrain, compositeBatchNormTrainGrad],
};

let registered = false;

/**
 * Registers the two BatchNorm training kernels for every backend tfvision supports (by name,
 * so it may run before a backend is loaded). Idempotent; batchNormTrain calls it.
 */
export function registerFusedBatchNormKernels(): void {
  if (registered) return;
  registered = true;
  for (const [backendName, [forward, backward]] of Object.entries(KERNELS)) {
    for (const [kernelName, kernelFunc] of [[BatchNormTrain, forward], [BatchNormTrainGrad, backward]] as const) {
      registerKernelIfAbsent(kernelName, backendName, kernelFunc);
    }
  }
}

/** Whether the active backend has the kernels (a backend outside the table falls back to tf ops). */
export function hasFusedBatchNorm(): boolean {
  registerFusedBatchNormKernels();
  return tf.getKernel(BatchNormTrain, tf.getBackend()) !== undefined;
}
