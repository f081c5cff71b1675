import * as tf from '@tensorflow/tfjs-core';
import '../../gradients.js';
import { initBackend } from '../../backend.js';
import { registerTfvisionKernels } from '../register.js';
import { registerWebGpuConvGradKernels } from './conv-grad-kernels.js';
import { loadDawn } from './dawn.js';
import { runGpuConvGradCheck } from './gpu-check.js';

// The real shaders on a real adapter (Dawn on Vulkan) against the cpu backend. Skips, with the
// reason, where the webgpu package or an adapter is missing (CI, and this project's machines).
async function adapterReason(): Promise<string | null> {
  const loaded = loadDawn();
  if (!('dawn' in loaded)) return loaded.reason;
  Object.assign(globalThis, loaded.dawn.globals);
  const gpu = loaded.dawn.create([]);
  if (!(await gpu.requestAdapter())) return 'no WebGPU adapter (no GPU, or no usable Vulkan driver)';
  const host = globalThis as { navigator?: { gpu?: unknown } };
  if (!host.navigator) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  else Object.defineProperty(host.navigator, 'gpu', { value: gpu, configurable: true });
  return null;
}

let skipReason: string | null = 'not checked';
beforeAll(async () => {
  skipReason = await adapterReason();
  if (skipReason !== null) {
    console.log(`conv-grad-webgpu.test: skipped: ${skipReason}`);
    return;
  }
  await initBackend({ backend: 'webgpu', report: false });
  registerTfvisionKernels();
  if (!registerWebGpuConvGradKernels()) throw new Error('webgpu conv-grad kernels did not install');
});

describe('webgpu conv-gradient kernels on a GPU', () => {
  it('match the cpu backend on the zoo shapes (skipped without an adapter)', async () => {
    if (skipReason !== null) return;
    const results = await runGpuConvGradCheck('webgpu');
    expect(results.filter((r) => !r.pass)).toEqual([]);
    expect(tf.getBackend()).toBe('webgpu');
  });
});
