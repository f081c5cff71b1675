import * as tf from '@tensorflow/tfjs-core';
import { loadNativeAddon, type NativeAddon } from './addon.js';
import { packGeometry, type NativeConvGeometry } from './geometry.js';

/** What the kernels need of tfjs-backend-wasm's backend (its heap views and allocator). */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: object): void;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

type Shape4 = [number, number, number, number];
type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
const pair = (v: [number, number] | number | undefined): [number, number] => (v === undefined ? [1, 1] : typeof v === 'number' ? [v, v] : v);

/** tfvision's training kernels: @tfvision/nn's BatchNorm (kernels/fused-batchnorm) and @tfvision/train's SGD (optim/sgd-kernel.ts). */
const TRAINING = { batchNorm: 'TfvBatchNormTrain', batchNormGrad: 'TfvBatchNormTrainGrad', sgd: 'TfvSgdMomentum', sumOfSquares: 'TfvSumOfSquares' } as const;

/** @tfvision/heads' RoIAlign kernels (kernels/roi-align-attrs.ts: inputs, attributes, outputs). */
const ROI_ALIGN = { forward: 'TfvRoiAlign', grad: 'TfvRoiAlignGrad' } as const;

interface RoiAlignKernelAttrs {
  pooledHeight: number;
  pooledWidth: number;
  spatialScale: number;
  samplingRatio: number;
  aligned: boolean;
  roiLevels?: number[];
  level?: number;
  /** The gradient's: the features' NHWC shape. */
  inputShape?: Shape4;
}

/** tfvision's grouped-convolution kernel names (@tfvision/nn kernels/grouped-conv2d.ts). */
const GROUPED = { forward: 'TfvGroupedConv2D', input: 'TfvGroupedConv2DBackpropInput', filter: 'TfvGroupedConv2DBackpropFilter' } as const;

function geometryFromInfo(info: tf.backend_util.Conv2DInfo, groups: number): NativeConvGeometry {
  return {
    n: info.batchSize, h: info.inHeight, w: info.inWidth, c: info.inChannels,
    kh: info.filterHeight, kw: info.filterWidth, o: info.outChannels,
    oh: info.outHeight, ow: info.outWidth,
    sh: info.strideHeight, sw: info.strideWidth, pt: info.padInfo.top, pl: info.padInfo.left,
    dh: info.dilationHeight, dw: info.dilationWidth, groups,
  };
}

function groupedGeometry(x: Shape4, filter: Shape4, attrs: { strides: [number, number]; pad: [number, number, number, number]; dilations: [number, number]; groups: number }): NativeConvGeometry {
  const [n, h, w, c] = x;
  const [kh, kw, , o] = filter;
  const [sh, sw] = attrs.strides;
  const [dh, dw] = attrs.dilations;
  const [pt, pb, pl, pr] = attrs.pad;
  const oh = Math.floor((h + pt + pb - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((w + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
  return { n, h, w, c, kh, kw, o, oh, ow, sh, sw, pt, pl, dh, dw, groups: attrs.groups };
}

/** Runs `call` on heap views taken after the output is allocated (allocation can move the heap). */
function run(backend: WasmHeapBackend, outShape: number[], inputs: tf.TensorInfo[], call: (views: Float32Array[], out: Float32Array) => void): tf.TensorInfo {
  const out = backend.makeOutput(outShape, 'float32');
  call(inputs.map((t) => backend.typedArrayFromHeap(t)), backend.typedArrayFromHeap(out));
  return out;
}

/** The kernel functions this package registered. */
const NATIVE_KERNELS = new WeakSet<tf.KernelFunc>();

function replace(kernelName: string, make: (previous: tf.KernelFunc | undefined) => tf.KernelFunc): void {
  const config = tf.getKernel(kernelName, 'wasm') as tf.KernelConfig | undefined;
  const previous = config?.kernelFunc;
  if (config) tf.unregisterKernel(kernelName, 'wasm');
  const kernelFunc = make(previous);
  NATIVE_KERNELS.add(kernelFunc);
  tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
}

/** Whether the wasm kernel registered under `kernelName` now is this package's. */
export function isNativeKernel(kernelName: string): boolean {
  const config = tf.getKernel(kernelName, 'wasm') as tf.KernelConfig | undefined;
  return config !== undefined && NATIVE_KERNELS.has(config.kernelFunc);
}

function fallback(previous: tf.KernelFunc | undefined, kernelName: string, args: Parameters<tf.KernelFunc>[0], why: string): tf.TensorInfo | tf.TensorInfo[] {
  if (!previous) throw new Error(`${kernelName} (tfvision native): ${why}, and no other wasm kernel is registered`);
  return previous(args);
}

/**
 * Where OpenBLAS beats XNNPACK: sgemm needs enough columns (output channels per group) and a
 * long enough inner dimension (taps x input channels per group) to fill its register blocks;
 * below these, XNNPACK's direct kernels are faster (measured: ResNeXt's 4- and 8-channel
 * groups ran 10x slower as per-group sgemm). The grouped wasm kernel merges small groups
 * into 16-channel block-diagonal chunks, which also stay below the threshold.
 */
export const NATIVE_MIN_COLUMNS = 32;
export const NATIVE_MIN_INNER = 64;
/**
 * The column threshold when XNNPACK has one thread (WasmThreadsPolicy 'one-beside-native'):
 * then OpenBLAS's two threads win at any column count (the demo's Mask R-CNN step, whose
 * 6-column mask logits, 3- and 12-column RPN outputs and 6- and 24-column box predictors fell
 * under 32: 0.323 -> 0.303 s on a 2-core AMD EPYC).
 */
export const NATIVE_MIN_COLUMNS_BESIDE_ONE_WASM_THREAD = 1;

/** The column threshold in force (registerNativeWasmKernels sets it from the wasm thread count). */
let minColumns: number = NATIVE_MIN_COLUMNS;

/**
 * Narrow groups (ResNeXt's 4-channel ones, up to 16 in and out): the direct kernel, which
 * does the grouped arithmetic only. Depthwise (1 channel per group) stays with XNNPACK.
 */
export const NATIVE_DIRECT_MAX_GROUP_WIDTH = 16;

export function directWorthIt(g: NativeConvGeometry): boolean {
  // TFVISION_NATIVE_DIRECT=0 keeps narrow groups on the wasm kernels (for A/B timing).
  if (process.env.TFVISION_NATIVE_DIRECT === '0') return false;
  const cg = g.c / g.groups;
  const og = g.o / g.groups;
  return g.groups > 1 && cg > 1 && cg <= NATIVE_DIRECT_MAX_GROUP_WIDTH && og <= NATIVE_DIRECT_MAX_GROUP_WIDTH;
}

function worthIt(g: NativeConvGeometry): boolean {
  const cg = g.c / g.groups;
  return g.o / g.groups >= minColumns && g.kh * g.kw * cg >= NATIVE_MIN_INNER && (g.groups === 1 || cg > 1);
}

function registerDense(addon: NativeAddon): void {
  replace(tf.Conv2D, (previous) => (args) => {
    const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const a = args.attrs as unknown as { strides: [number, number] | number; pad: Pad; dataFormat?: string; dilations?: [number, number] | number; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
    if (a.dataFormat === 'NCHW') return fallback(previous, tf.Conv2D, args, 'NCHW');
    const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, filter.shape as Shape4, pair(a.strides), pair(a.dilations), a.pad, a.dimRoundingMode, false, 'channelsLast');
    const g = geometryFromInfo(info, 1);
    if (!worthIt(g)) return fallback(previous, tf.Conv2D, args, 'small');
    return run(args.backend as unknown as WasmHeapBackend, [g.n, g.oh, g.ow, g.o], [x, filter], ([xv, fv], out) => addon.conv2d(xv, fv, out, packGeometry(g)));
  });
  replace(tf.Conv2DBackpropInput, (previous) => (args) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const a = args.attrs as unknown as { strides: [number, number] | number; pad: Pad; dataFormat?: string; dilations?: [number, number] | number; dimRoundingMode?: 'floor' | 'round' | 'ceil'; inputShape: Shape4 };
    if (a.dataFormat === 'NCHW') return fallback(previous, tf.Conv2DBackpropInput, args, 'NCHW');
    const info = tf.backend_util.computeConv2DInfo(a.inputShape, filter.shape as Shape4, pair(a.strides), pair(a.dilations), a.pad, a.dimRoundingMode, false, 'channelsLast');
    const g = geometryFromInfo(info, 1);
    if (!worthIt(g)) return fallback(previous, tf.Conv2DBackpropInput, args, 'small');
    return run(args.backend as unknown as WasmHeapBackend, [...a.inputShape], [dy, filter], ([dv, fv], out) => addon.conv2dBackpropInput(dv, fv, out, packGeometry(g)));
  });
  replace(tf.Conv2DBackpropFilter, (previous) => (args) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const a = args.attrs as unknown as { strides: [number, number] | number; pad: Pad; dataFormat?: string; dilations?: [number, number] | number; dimRoundingMode?: 'floor' | 'round' | 'ceil'; filterShape: Shape4 };
    if (a.dataFormat === 'NCHW') return fallback(previous, tf.Conv2DBackpropFilter, args, 'NCHW');
    const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, a.filterShape, pair(a.strides), pair(a.dilations), a.pad, a.dimRoundingMode, false, 'channelsLast');
    const g = geometryFromInfo(info, 1);
    if (!worthIt(g)) return fallback(previous, tf.Conv2DBackpropFilter, args, 'small');
    return run(args.backend as unknown as WasmHeapBackend, [...a.filterShape], [x, dy], ([xv, dv], out) => addon.conv2dBackpropFilter(xv, dv, out, packGeometry(g)));
  });
}

/**
 * tf.fused.conv2d (conv + bias + ReLU; nn's convBn folds BatchNorm into it at inference): the
 * native convolution then the epilogue in C, where the dense conv qualifies; other activations,
 * PReLU and small shapes keep XNNPACK's fused kernel.
 */
function registerFused(addon: NativeAddon): void {
  replace(tf.FusedConv2D, (previous) => (args) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };
    const a = args.attrs as unknown as { strides: [number, number] | number; pad: Pad; dataFormat?: string; dilations?: [number, number] | number; dimRoundingMode?: 'floor' | 'round' | 'ceil'; activation?: string };
    const activation = a.activation ?? 'linear';
    if (a.dataFormat === 'NCHW' || preluActivationWeights || (activation !== 'linear' && activation !== 'relu')) return fallback(previous, tf.FusedConv2D, args, 'activation or layout');
    const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, filter.shape as Shape4, pair(a.strides), pair(a.dilations), a.pad, a.dimRoundingMode, false, 'channelsLast');
    const g = geometryFromInfo(info, 1);
    if (!worthIt(g) || (bias && bias.shape.length !== 1) || (bias && bias.shape[0] !== g.o)) return fallback(previous, tf.FusedConv2D, args, 'small or broadcast bias');
    const inputs = bias ? [x, filter, bias] : [x, filter];
    return run(args.backend as unknown as WasmHeapBackend, [g.n, g.oh, g.ow, g.o], inputs, ([xv, fv, bv], out) => {
      addon.conv2d(xv, fv, out, packGeometry(g));
      if (bv) addon.addBiasActivation(out, bv, activation === 'relu');
      else if (activation === 'relu') addon.addBiasActivation(out, new Float32Array(g.o), true);
    });
  });
}

type GroupedAttrs = { strides: [number, number]; pad: [number, number, number, number]; dilations: [number, number]; groups: number };

function registerGrouped(addon: NativeAddon): void {
  // Forward: narrow groups run direct, wide ones as im2col + sgemm; depthwise and the gradients
  // of narrow groups stay with the wasm kernels.
  replace(GROUPED.forward, (previous) => (args) => {
    const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const a = args.attrs as unknown as GroupedAttrs;
    const g = groupedGeometry(x.shape as Shape4, filter.shape as Shape4, a);
    if (directWorthIt(g)) return run(args.backend as unknown as WasmHeapBackend, [g.n, g.oh, g.ow, g.o], [x, filter], ([xv, fv], out) => addon.groupedConv2dDirect(xv, fv, out, packGeometry(g)));
    if (!worthIt(g)) return fallback(previous, GROUPED.forward, args, 'depthwise or small groups');
    return run(args.backend as unknown as WasmHeapBackend, [g.n, g.oh, g.ow, g.o], [x, filter], ([xv, fv], out) => addon.conv2d(xv, fv, out, packGeometry(g)));
  });
  replace(GROUPED.input, (previous) => (args) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const a = args.attrs as unknown as GroupedAttrs & { inputShape: Shape4 };
    const g = groupedGeometry(a.inputShape, filter.shape as Shape4, a);
    if (!worthIt(g)) return fallback(previous, GROUPED.input, args, 'depthwise or small groups');
    return run(args.backend as unknown as WasmHeapBackend, [...a.inputShape], [dy, filter], ([dv, fv], out) => addon.conv2dBackpropInput(dv, fv, out, packGeometry(g)));
  });
  replace(GROUPED.filter, (previous) => (args) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const a = args.attrs as unknown as GroupedAttrs & { filterShape: Shape4 };
    const g = groupedGeometry(x.shape as Shape4, a.filterShape, a);
    if (!worthIt(g)) return fallback(previous, GROUPED.filter, args, 'depthwise or small groups');
    return run(args.backend as unknown as WasmHeapBackend, [...a.filterShape], [x, dy], ([xv, dv], out) => addon.conv2dBackpropFilter(xv, dv, out, packGeometry(g)));
  });
}

/**
 * BatchMatMul as OpenBLAS sgemm through the pointwise convolutions, whose C path is one sgemm
 * each: a·b is conv2d of a (an M x 1 image of K channels) by b as a 1x1 filter [K, N]; a·bᵀ is
 * conv2dBackpropInput (dy = a, filter b [N, K]); aᵀ·b is conv2dBackpropFilter (x = a [K, M],
 * dy = b). So the transposes a matmul gradient asks for are never materialised. Detection's
 * box head is mostly this (fc6: 1024 RoIs x 12544 x 1024 a step at batch 2). Batches loop; a
 * batch of 1 on either side is broadcast. Both transposes, small products and other dtypes keep
 * the previous kernel.
 */
function registerMatMul(addon: NativeAddon): void {
  replace(tf.BatchMatMul, (previous) => (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || (transposeA && transposeB)) return fallback(previous, tf.BatchMatMul, args, 'dtype or both transposed');
    const ra = a.shape.length;
    const rb = b.shape.length;
    const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
    const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
    const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
    const broadcastable = batchA === batchB || batchA === 1 || batchB === 1;
    if (k !== kb || !broadcastable || m < 1 || n < minColumns || k < NATIVE_MIN_INNER) return fallback(previous, tf.BatchMatMul, args, 'small or unmatched');
    const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const batch = Math.max(batchA, batchB);
    // Every shape as a pointwise convolution over an H x 1 image (n = 1, w = 1, no padding).
    const pointwise = (h: number, c: number, o: number) => packGeometry({ n: 1, h, w: 1, c, kh: 1, kw: 1, o, oh: h, ow: 1, sh: 1, sw: 1, pt: 0, pl: 0, dh: 1, dw: 1, groups: 1 });
    const geometry = transposeB ? pointwise(m, n, k) : transposeA ? pointwise(k, m, n) : pointwise(m, k, n);
    return run(args.backend as unknown as WasmHeapBackend, [...outer, m, n], [a, b], ([av, bv], out) => {
      for (let i = 0; i < batch; i++) {
        const ai = batchA === 1 ? av : av.subarray(i * m * k, (i + 1) * m * k);
        const bi = batchB === 1 ? bv : bv.subarray(i * k * n, (i + 1) * k * n);
        const oi = batch === 1 ? out : out.subarray(i * m * n, (i + 1) * m * n);
        if (transposeB) addon.conv2dBackpropInput(ai, bi, oi, geometry);
        else if (transposeA) addon.conv2dBackpropFilter(ai, bi, oi, geometry);
        else addon.conv2d(ai, bi, oi, geometry);
      }
    });
  });
}

/**
 * What is wrong with a kernel's inputs for the C code: a required one missing, one not float32,
 * or (with `shapeOf`) one whose shape differs from `shapeOf`'s. Undefined when they are fine.
 * The JS kernels a fallback would reach may not be registered yet (initBackend can run before
 * the op that registers them), so the message names the problem itself.
 */
function inputProblem(inputs: Record<string, tf.TensorInfo | undefined>, required: string[], shapeOf?: string): string | undefined {
  for (const name of required) if (!inputs[name]) throw new Error(`tfvision native: input ${name} is required`);
  for (const [name, t] of Object.entries(inputs)) {
    if (t && t.dtype !== 'float32') return `${name} must be float32, got ${t.dtype}`;
    const ref = shapeOf ? inputs[shapeOf] : undefined;
    if (t && ref && !tf.util.arraysEqual(t.shape, ref.shape)) return `${name} must have ${shapeOf}'s shape [${ref.shape}], got [${t.shape}]`;
  }
  return undefined;
}

/**
 * The training kernels whose JS loops ran single-threaded on the wasm heap: BatchNorm with
 * batch statistics (forward and gradient), the SGD-with-momentum update and the sum of squares
 * of the gradients (the clipping norm), same inputs,
 * attributes and outputs as the JS kernels and bit-identical results (the C repeats their
 * arithmetic). Inputs the C does not take (another dtype, a shape mismatch) go to the previous
 * kernel, or, where none is registered yet, stop with an error naming the input.
 */
function registerTraining(addon: NativeAddon): void {
  replace(TRAINING.batchNorm, (previous) => (args) => {
    const inputs = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const problem = inputProblem(inputs, ['x', 'gamma', 'beta']);
    const { x, gamma, beta, runningMean, runningVar } = inputs;
    if (problem || !x || !gamma || !beta) return fallback(previous, TRAINING.batchNorm, args, problem ?? 'inputs');
    const { eps, momentum } = args.attrs as unknown as { eps: number; momentum: number };
    const c = gamma.shape[0];
    const running = runningMean !== undefined && runningVar !== undefined;
    const b = args.backend as unknown as WasmHeapBackend;
    const outs = [b.makeOutput(x.shape, 'float32'), b.makeOutput([3, c], 'float32'), ...(running ? [b.makeOutput([c], 'float32'), b.makeOutput([c], 'float32')] : [])];
    // Views after allocating: the heap may have grown (and moved every view) meanwhile.
    const v = (t: tf.TensorInfo) => b.typedArrayFromHeap(t);
    const opt = (t: tf.TensorInfo | undefined) => (running && t ? v(t) : null);
    addon.batchNormTrain(v(x), v(gamma), v(beta), opt(runningMean), opt(runningVar), v(outs[0]), v(outs[1]), opt(outs[2]), opt(outs[3]), eps, momentum);
    return outs;
  });
  replace(TRAINING.batchNormGrad, (previous) => (args) => {
    const inputs = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const problem = inputProblem(inputs, ['dy', 'x', 'stats', 'gamma']);
    const { dy, x, stats, gamma } = inputs;
    if (problem || !dy || !x || !stats || !gamma) return fallback(previous, TRAINING.batchNormGrad, args, problem ?? 'inputs');
    const c = gamma.shape[0];
    const b = args.backend as unknown as WasmHeapBackend;
    const outs = [b.makeOutput(x.shape, 'float32'), b.makeOutput([c], 'float32'), b.makeOutput([c], 'float32')];
    const v = (t: tf.TensorInfo) => b.typedArrayFromHeap(t);
    addon.batchNormTrainGrad(v(dy), v(x), v(stats), v(gamma), v(outs[0]), v(outs[1]), v(outs[2]));
    return outs;
  });
  replace(TRAINING.sumOfSquares, (previous) => (args) => {
    const list = args.inputs as unknown as tf.TensorInfo[];
    const odd = list.findIndex((t) => t.dtype !== 'float32');
    if (odd >= 0) return fallback(previous, TRAINING.sumOfSquares, args, `input ${odd} must be float32, got ${list[odd].dtype}`);
    const b = args.backend as unknown as WasmHeapBackend;
    const out = b.makeOutput([], 'float32');
    b.typedArrayFromHeap(out)[0] = addon.sumOfSquares(list.map((t) => b.typedArrayFromHeap(t)));
    return out;
  });
  replace(TRAINING.sgd, (previous) => (args) => {
    const inputs = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const problem = inputProblem(inputs, ['param', 'grad'], 'param');
    const { param, grad, buf } = inputs;
    if (problem || !param || !grad) return fallback(previous, TRAINING.sgd, args, problem ?? 'inputs');
    const { lr, momentum, weightDecay, nesterov } = args.attrs as unknown as { lr: number; momentum: number; weightDecay: number; nesterov: boolean };
    const b = args.backend as unknown as WasmHeapBackend;
    const outs = [b.makeOutput(param.shape, 'float32'), ...(buf ? [b.makeOutput(param.shape, 'float32')] : [])];
    const v = (t: tf.TensorInfo) => b.typedArrayFromHeap(t);
    const opt = (t: tf.TensorInfo | undefined) => (t ? v(t) : null);
    addon.sgdMomentum(v(param), v(grad), opt(buf), v(outs[0]), opt(outs[1]), lr, momentum, weightDecay, nesterov);
    return outs.length === 1 ? outs[0] : outs;
  });
}

/**
 * RoIAlign forward and gradient in C (the host loops of @tfvision/heads, bit for bit; the
 * forward threaded over RoIs). A batch index outside the features stops with the message the
 * JS kernel gives.
 */
function registerRoiAlign(addon: NativeAddon): void {
  const call = (kernelName: string, previous: tf.KernelFunc | undefined, args: Parameters<tf.KernelFunc>[0], backward: boolean): tf.TensorInfo | tf.TensorInfo[] => {
    const { x, dy, rois } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const src = backward ? dy : x;
    const a = args.attrs as unknown as RoiAlignKernelAttrs;
    const features = backward ? a.inputShape : (x?.shape as Shape4 | undefined);
    const problem = inputProblem(backward ? { dy, rois } : { x, rois }, [backward ? 'dy' : 'x', 'rois']);
    if (problem || !src || !rois) return fallback(previous, kernelName, args, problem ?? 'inputs');
    if (!features || features.length !== 4 || rois.shape.length !== 2 || rois.shape[1] !== 5) return fallback(previous, kernelName, args, `features must be NHWC and rois [K, 5], got [${features ?? ''}] and [${rois.shape}]`);
    const [n, h, w, c] = features;
    const numRois = rois.shape[0];
    // The JS kernel pools RoI k when roiLevels[k] === level, for any numbers: the C gets that
    // comparison's result (1 or 0) and selects 1.
    const level = a.level ?? -1;
    const selected = a.roiLevels && a.roiLevels.length > 0 ? Int32Array.from(a.roiLevels, (v) => (v === level ? 1 : 0)) : null;
    const geometry = Int32Array.of(n, h, w, c, a.pooledHeight, a.pooledWidth, a.samplingRatio, a.aligned ? 1 : 0, 1, numRois, backward ? 1 : 0);
    const b = args.backend as unknown as WasmHeapBackend;
    const out = b.makeOutput(backward ? [...features] : [numRois, a.pooledHeight, a.pooledWidth, c], 'float32');
    const bad = addon.roiAlign(b.typedArrayFromHeap(src), b.typedArrayFromHeap(rois), b.typedArrayFromHeap(out), geometry, a.spatialScale, selected);
    if (bad >= 0) {
      b.disposeData(out.dataId);
      throw new Error(`roiAlign: rois[${bad}][0] must be a batch index in [0, ${n}), got ${Math.trunc(b.typedArrayFromHeap(rois)[bad * 5])}`);
    }
    return out;
  };
  replace(ROI_ALIGN.forward, (previous) => (args) => call(ROI_ALIGN.forward, previous, args, false));
  replace(ROI_ALIGN.grad, (previous) => (args) => call(ROI_ALIGN.grad, previous, args, true));
}

export interface NativeRegistration {
  registered: boolean;
  /** Why not, when not registered. */
  reason?: string;
  threads?: number;
  /** Which addon runs: the shipped prebuild (OpenBLAS linked in) or the source build. */
  origin?: 'prebuild' | 'build';
}

/**
 * Puts the native convolutions (forward and both gradients, dense and grouped), matrix
 * products, RoIAlign and training kernels (BatchNorm with batch statistics, the SGD update) in place of
 * the wasm backend's, keeping the previous kernel for the cases the addon leaves alone (NCHW,
 * depthwise, small products, other dtypes). Call after the wasm backend and tfvision's own kernels are registered;
 * @tfvision/nn's initBackend does this when the package is installed (its prebuild or a
 * source build present).
 */
/**
 * AvgPool's gradient (ResNeSt's avg-down shortcuts and strided split-attention pools train
 * through it): the wasm kernel runs one channel at a time on one thread, 2.4 ms for a
 * [4,16,24,256] input; the C loops run a pixel's channels together on OpenBLAS's threads, with
 * the wasm kernel's arithmetic in its order.
 */
function registerPooling(addon: NativeAddon): void {
  replace(tf.AvgPoolGrad, (previous) => (args) => {
    const inputs = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const problem = inputProblem(inputs, ['dy', 'input']);
    const { dy, input } = inputs;
    if (problem || !dy || !input || input.shape.length !== 4) return fallback(previous, tf.AvgPoolGrad, args, problem ?? 'not 4-D');
    const a = args.attrs as unknown as { filterSize: [number, number] | number; strides: [number, number] | number; pad: 'valid' | 'same' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
    const info = tf.backend_util.computePool2DInfo(input.shape as Shape4, a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
    const geometry = Int32Array.from([
      info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.strideHeight, info.strideWidth,
      info.dilationHeight, info.dilationWidth, info.effectiveFilterHeight, info.effectiveFilterWidth, info.padInfo.top, info.padInfo.left, info.filterHeight, info.filterWidth,
    ]);
    return run(args.backend as unknown as WasmHeapBackend, [...input.shape], [dy], ([dv], out) => addon.avgPoolGrad(dv, out, geometry));
  });
}

/**
 * Puts the addon's kernels in place of the wasm ones. `threads`: OpenBLAS's thread count (default
 * its own); `wasmThreads`: XNNPACK's (the wasm backend's), which sets the column threshold of
 * the sgemm paths (NATIVE_MIN_COLUMNS, or NATIVE_MIN_COLUMNS_BESIDE_ONE_WASM_THREAD at 1).
 */
export function registerNativeWasmKernels(threads?: number, wasmThreads?: number): NativeRegistration {
  const { addon, reason, origin } = loadNativeAddon();
  if (!addon) return { registered: false, reason };
  if (!tf.getKernel(tf.Conv2D, 'wasm')) return { registered: false, reason: 'the wasm backend is not registered' };
  if (threads !== undefined) addon.setThreads(threads);
  minColumns = wasmThreads === 1 ? NATIVE_MIN_COLUMNS_BESIDE_ONE_WASM_THREAD : NATIVE_MIN_COLUMNS;
  registerDense(addon);
  registerFused(addon);
  registerGrouped(addon);
  registerMatMul(addon);
  registerTraining(addon);
  registerRoiAlign(addon);
  registerPooling(addon);
  return { registered: true, threads: addon.threads(), origin };
}
