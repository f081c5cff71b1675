/**
 * GPU check of the WGSL convolution-gradient kernels (packages/nn/src/kernels/webgpu-conv-grad):
 * the zoo's shapes on webgpu (Dawn) against the cpu backend, one JSON line per case, exit 1 on a
 * mismatch. Bundle and run (from the repository root):
 *   npx esbuild packages/nn/tools/webgpu-conv-grad-check.ts --bundle --platform=node --format=esm \
 *     --external:webgpu --outfile=/tmp/conv-grad-check.mjs && node /tmp/conv-grad-check.mjs
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '../src/backend.js';
import '../src/gradients.js';
import { registerTfvisionKernels } from '../src/kernels/register.js';
import { registerWebGpuConvGradKernels } from '../src/kernels/webgpu-conv-grad/conv-grad-kernels.js';
import { runGpuConvGradCheck } from '../src/kernels/webgpu-conv-grad/gpu-check.js';

const choice = await initBackend({ backend: 'webgpu', report: false });
registerTfvisionKernels();
const installed = registerWebGpuConvGradKernels();
console.log(JSON.stringify({ kind: 'backend', backend: choice.name, provider: choice.provider, kernelsInstalled: installed, current: tf.getBackend() }));
const results = await runGpuConvGradCheck('webgpu');
for (const r of results) console.log(JSON.stringify({ kind: 'conv-grad', ...r }));
const failed = results.filter((r) => !r.pass).length;
console.log(JSON.stringify({ kind: 'conv-grad-summary', cases: results.length, failed }));
process.exit(failed === 0 && installed ? 0 : 1);
