import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The compiled kernels (native/tfvision_native.c). Arrays are views; nothing is copied. */
export interface NativeAddon {
  /** y[n,oh,ow,o] = conv(x[n,h,w,c], w[kh,kw,c/groups,o]) */
  conv2d(x: Float32Array, filter: Float32Array, y: Float32Array, geometry: number[]): void;
  conv2dBackpropInput(dy: Float32Array, filter: Float32Array, dx: Float32Array, geometry: number[]): void;
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, geometry: number[]): void;
  /** Direct grouped forward for narrow groups (few channels per group), threaded over pixels. */
  groupedConv2dDirect(x: Float32Array, filter: Float32Array, y: Float32Array, geometry: number[]): void;
  /** y[m, o] += bias[o], then ReLU when asked: a fused convolution's epilogue. */
  addBiasActivation(y: Float32Array, bias: Float32Array, relu: boolean): void;
  setThreads(n: number): void;
  threads(): number;
}

/** Where the build puts the addon (build.mjs), relative to dist/ and src/ alike. */
export const ADDON_PATH = fileURLToPath(new URL('../build/tfvision_native.node', import.meta.url));

let cached: { addon?: NativeAddon; reason?: string } | undefined;

/** The addon, or undefined with the reason (not built here, or failed to load). */
export function loadNativeAddon(): { addon?: NativeAddon; reason?: string } {
  if (cached) return cached;
  if (!existsSync(ADDON_PATH)) {
    cached = { reason: `${ADDON_PATH} is not built (needs a C compiler and OpenBLAS: apt-get install gcc libopenblas-dev; then npm run build -w @tfvision/native)` };
    return cached;
  }
  try {
    // OpenBLAS reads this when the library loads: its idle threads go to sleep after ~2^4
    // cycles instead of spinning, which otherwise steals the cores XNNPACK's threads need
    // between convolutions (resnet50d batch 8: 4.4 -> 5.3 images/s on 2 cores). A value the
    // user set is kept.
    process.env.OPENBLAS_THREAD_TIMEOUT ??= '4';
    const require = createRequire(import.meta.url);
    cached = { addon: require(ADDON_PATH) as NativeAddon };
  } catch (err) {
    cached = { reason: `${ADDON_PATH} failed to load: ${(err as Error).message.split('\n')[0]}` };
  }
  return cached;
}
