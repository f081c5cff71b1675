import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { findPrebuild } from './prebuild.js';

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
  /**
   * Training-mode BatchNorm over the rows of x [rows, C]: @tfvision/nn's batchNormForwardArrays,
   * bit for bit. stats is [3, C] (mean, variance, 1/std); running statistics are optional (null).
   */
  batchNormTrain(x: Float32Array, gamma: Float32Array, beta: Float32Array, runningMean: Float32Array | null, runningVar: Float32Array | null, y: Float32Array, stats: Float32Array, newRunningMean: Float32Array | null, newRunningVar: Float32Array | null, eps: number, momentum: number): void;
  /** Its gradient: @tfvision/nn's batchNormBackwardArrays, bit for bit. */
  batchNormTrainGrad(dy: Float32Array, x: Float32Array, stats: Float32Array, gamma: Float32Array, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array): void;
  /** One SGD-with-momentum update: @tfvision/train's sgdMomentumArrays, bit for bit; buf null without momentum. */
  sgdMomentum(w: Float32Array, grad: Float32Array, buf: Float32Array | null, newW: Float32Array, newBuf: Float32Array | null, lr: number, momentum: number, weightDecay: number, nesterov: boolean): void;
  /**
   * RoIAlign, NHWC: @tfvision/heads' host kernels bit for bit. geometry is [n, h, w, c,
   * pooledHeight, pooledWidth, samplingRatio, aligned (0/1), level, numRois, backward (0/1)];
   * forward reads x and writes [numRois, ph, pw, c], backward reads dy and writes dx (x's shape).
   * levels (one per RoI, or null) selects the RoIs of `level`. Returns -1, or the index of the
   * first selected RoI whose batch index is outside [0, n) (then nothing is written).
   */
  roiAlign(src: Float32Array, rois: Float32Array, out: Float32Array, geometry: Int32Array, spatialScale: number, levels: Int32Array | null): number;
  /**
   * AvgPool gradient, NHWC: tfjs-backend-wasm's AvgPoolGrad bit for bit. geometry is [n, h, w,
   * c, outHeight, outWidth, strideH, strideW, dilationH, dilationW, effectiveFilterH,
   * effectiveFilterW, padTop, padLeft, filterH, filterW]; reads dy [n, oh, ow, c], writes dx.
   */
  avgPoolGrad(dy: Float32Array, dx: Float32Array, geometry: Int32Array): void;
  /** Σ x² over every element of the arrays: @tfvision/train's sumOfSquaresArrays (float64), bit for bit. */
  sumOfSquares(arrays: Float32Array[]): number;
  setThreads(n: number): void;
  threads(): number;
}

/** Where the source build puts the addon (build.mjs), relative to dist/ and src/ alike. */
export const ADDON_PATH = fileURLToPath(new URL('../build/tfvision_native.node', import.meta.url));
/** The package folder: it holds prebuilds/, build/ and native/. */
export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface LoadedAddon {
  addon?: NativeAddon;
  /** Why there is no addon; or, with one, why the prebuild was not the one loaded. */
  reason?: string;
  /** The file loaded, and whether it is the shipped prebuild or the source build. */
  path?: string;
  origin?: 'prebuild' | 'build';
}

let cached: LoadedAddon | undefined;

function load(file: string): NativeAddon {
  // OpenBLAS reads this when the library loads: its idle threads go to sleep after ~2^4
  // cycles instead of spinning, which otherwise steals the cores XNNPACK's threads need
  // between convolutions (resnet50d batch 8: 4.4 -> 5.3 images/s on 2 cores). A value the
  // user set is kept.
  process.env.OPENBLAS_THREAD_TIMEOUT ??= '4';
  const require = createRequire(import.meta.url);
  return require(file) as NativeAddon;
}

/**
 * The addon: the prebuild shipped for this platform (prebuild.ts; OpenBLAS linked in), else the
 * source build in build/ (build.mjs; the system's OpenBLAS), else undefined with the reasons.
 * TFVISION_NATIVE_PREBUILD=0 skips the prebuild (to time or test the source build).
 */
export function loadNativeAddon(): LoadedAddon {
  if (cached) return cached;
  let skipped: string;
  if (process.env.TFVISION_NATIVE_PREBUILD === '0') skipped = 'prebuild skipped (TFVISION_NATIVE_PREBUILD=0)';
  else {
    const found = findPrebuild(PACKAGE_ROOT);
    skipped = found.reason;
    if (found.path) {
      try {
        cached = { addon: load(found.path), path: found.path, origin: 'prebuild' };
        return cached;
      } catch (err) {
        skipped = `${found.path} failed to load: ${(err as Error).message.split('\n')[0]}`;
      }
    }
  }
  if (!existsSync(ADDON_PATH)) {
    cached = { reason: `${skipped}; and ${ADDON_PATH} is not built (needs a C compiler and OpenBLAS: apt-get install gcc libopenblas-dev; then npm run build -w @tfvision/native)` };
    return cached;
  }
  try {
    cached = { addon: load(ADDON_PATH), path: ADDON_PATH, origin: 'build', reason: skipped };
  } catch (err) {
    cached = { reason: `${skipped}; and ${ADDON_PATH} failed to load: ${(err as Error).message.split('\n')[0]}` };
  }
  return cached;
}
