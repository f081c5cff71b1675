import type * as tf from '@tensorflow/tfjs-core';
import { registerKernelIfAbsent } from '@tfvision/nn';
import { RoiAlign, RoiAlignGrad } from './roi-align-attrs.js';
import { roiAlignCpu, roiAlignGradCpu } from './roi-align-cpu.js';
import { registerRoiAlignGradient } from './roi-align-grad.js';
import { roiAlignGradTensorflow, roiAlignTensorflow } from './roi-align-tensorflow.js';
import { roiAlignGradWasm, roiAlignWasm } from './roi-align-wasm.js';
import { roiAlignGradWebGpu, roiAlignWebGpu } from './roi-align-webgpu.js';

/** Each backend's RoIAlign forward and backward kernels. */
export const ROI_ALIGN_KERNELS: Record<string, { forward: tf.KernelFunc; backward: tf.KernelFunc }> = {
  cpu: { forward: roiAlignCpu, backward: roiAlignGradCpu },
  wasm: { forward: roiAlignWasm, backward: roiAlignGradWasm },
  webgpu: { forward: roiAlignWebGpu, backward: roiAlignGradWebGpu },
  tensorflow: { forward: roiAlignTensorflow, backward: roiAlignGradTensorflow },
};

let registered = false;

/**
 * Registers @tfvision/heads' kernels (TfvRoiAlign, TfvRoiAlignGrad) for every backend, and
 * the RoIAlign gradient, where none is registered yet. Idempotent; the ops call it, so users need not. Registering for a
 * backend that is not loaded is harmless: tfjs keys kernels by backend name.
 */
export function registerHeadsKernels(): void {
  if (registered) return;
  registered = true;
  // A kernel already in place stays: @tfvision/native's C RoIAlign on wasm (initBackend may
  // register it before the first op calls this).
  for (const [backendName, { forward, backward }] of Object.entries(ROI_ALIGN_KERNELS)) {
    for (const [kernelName, kernelFunc] of [[RoiAlign, forward], [RoiAlignGrad, backward]] as const) {
      registerKernelIfAbsent(kernelName, backendName, kernelFunc);
    }
  }
  registerRoiAlignGradient();
}
