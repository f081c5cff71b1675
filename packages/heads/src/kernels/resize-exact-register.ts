/**
 * Registers the exact resize kernels (TfvResizeExact, TfvResizeExactGrad) for every backend and
 * their gradients: host loops on cpu and wasm, the gather composite elsewhere. Registering for a
 * backend that is not loaded is harmless (tfjs keys kernels by backend name).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { replaceKernel } from '@tfvision/nn';
import { ResizeExact, ResizeExactGrad } from './resize-exact-attrs.js';
import { resizeExactCompositeKernel, resizeExactGradCompositeKernel } from './resize-exact-composite.js';
import { resizeExactCpu, resizeExactGradCpu } from './resize-exact-cpu.js';
import { registerResizeExactGradients } from './resize-exact-grad.js';
import { resizeExactGradWasm, resizeExactWasm } from './resize-exact-wasm.js';

/** Each backend's forward and adjoint kernels. */
export const RESIZE_EXACT_KERNELS: Record<string, { forward: tf.KernelFunc; backward: tf.KernelFunc }> = {
  cpu: { forward: resizeExactCpu, backward: resizeExactGradCpu },
  wasm: { forward: resizeExactWasm, backward: resizeExactGradWasm },
  webgpu: { forward: resizeExactCompositeKernel, backward: resizeExactGradCompositeKernel },
  webgl: { forward: resizeExactCompositeKernel, backward: resizeExactGradCompositeKernel },
  tensorflow: { forward: resizeExactCompositeKernel, backward: resizeExactGradCompositeKernel },
};

let registered = false;

/** Idempotent; interpolate calls it, so users need not. */
export function registerResizeKernels(): void {
  if (registered) return;
  registered = true;
  for (const [backendName, { forward, backward }] of Object.entries(RESIZE_EXACT_KERNELS)) {
    replaceKernel(ResizeExact, backendName, forward);
    replaceKernel(ResizeExactGrad, backendName, backward);
  }
  registerResizeExactGradients();
}
