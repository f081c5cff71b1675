import * as tf from '@tensorflow/tfjs-core';
import { registerGroupedConvGradient, registerGroupedConvKernels, type GroupedConvPolicy } from './grouped-conv2d.js';
import { registerWasmIdentity } from './wasm-identity.js';
import { registerWasmTrainingKernels } from './wasm-training.js';
import { registerBatchSliceKernel } from './batch-slice.js';
import { registerLeanReluGradient } from '../grad/lean-ops.js';
import { webgpuGroupedConvForward } from './webgpu-grouped-conv.js';
import { registerNanPropagatingKernels } from './nan-propagation.js';
import { TENSORFLOW_GROUPED_CONV } from './tensorflow-grouped-conv.js';
import { registerWebGpuConvGradKernels } from './webgpu-conv-grad/conv-grad-kernels.js';

/**
 * Per-backend grouped-convolution policy. wasm: XNNPACK dense convolutions are fast and
 * small-channel ones are not, so groups are merged into 16-channel block-diagonal chunks.
 * cpu: one chunk per group (the arithmetic is the cost there). tensorflow: TensorFlow's own
 * grouped Conv2D and its gradients (cuDNN on a GPU; tensorflow-grouped-conv.ts), one chunk per
 * group where TensorFlow refuses. webgpu: its forward is a WGSL shader (webgpu-grouped-conv.ts);
 * the policy applies to its gradients.
 */
export const GROUPED_CONV_POLICIES: Record<string, GroupedConvPolicy> = {
  wasm: { minChunkChannels: 16 },
  cpu: { minChunkChannels: 1 },
  tensorflow: { minChunkChannels: 1 },
  webgpu: { minChunkChannels: 1 },
  webgl: { minChunkChannels: 1 },
};

let registered = false;
let wasmRegistered = false;

/**
 * Registers tfvision's kernels: the grouped convolution (forward, input and filter gradients)
 * for every backend, and the training kernels wasm lacks. Idempotent; the conv2d op and
 * initBackend call it, so users rarely need to.
 */
export function registerTfvisionKernels(): void {
  if (!registered) {
    registered = true;
    for (const [backend, policy] of Object.entries(GROUPED_CONV_POLICIES)) {
      registerGroupedConvKernels(backend, policy, backend === 'webgpu' ? webgpuGroupedConvForward : undefined, backend === 'tensorflow' ? TENSORFLOW_GROUPED_CONV : {});
    }
    registerGroupedConvGradient();
    registerBatchSliceKernel();
    registerLeanReluGradient();
  }
  // Only once tfjs-backend-wasm has registered its own kernels: registering ours first would
  // have its import silently put its slow Conv2DBackpropInput back.
  if (!wasmRegistered && tf.getKernel(tf.Conv2D, 'wasm')) {
    wasmRegistered = true;
    registerWasmTrainingKernels();
    registerWasmIdentity();
  }
  // The tiled WGSL convolution gradients have not yet run on a GPU (only their arithmetic is
  // tested, in emulation), so they replace tfjs's kernels only when asked for.
  if (process.env.TFVISION_WEBGPU_CONV_GRAD === '1' && tf.getKernel(tf.Conv2D, 'webgpu')) registerWebGpuConvGradKernels();
  // Per backend, once its kernels exist (cheap when done): NaN propagates as in PyTorch.
  registerNanPropagatingKernels();
}
