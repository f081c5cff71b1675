import * as tf from '@tensorflow/tfjs-core';

/**
 * NaN in, NaN out, as in PyTorch: torch's max_pool2d, avg_pool2d, relu6/hardtanh, clamp and a
 * convolution or linear layer followed by ReLU give NaN wherever a NaN reaches the output (any
 * NaN in a pooling window or a convolution's receptive field). Some backend kernels drop NaN:
 *   - tfjs-backend-cpu's MaxPool keeps the first value that is greater than the running max, so
 *     NaN never wins (an all-NaN window gives -Infinity);
 *   - XNNPACK (tfjs-backend-wasm) clamps outputs with min/max instructions that return the
 *     non-NaN operand: max pooling, average pooling (NaN becomes -Infinity, and tfvision's wasm
 *     Sum/Mean run as average pooling), Relu6, ClipByValue, the relu/relu6 activations fused
 *     into depthwise convolutions and matmuls, and relu6 fused into dense convolutions.
 * Each such kernel is wrapped here: it runs as before, then a cheap test says whether a NaN could
 * have been dropped (a NaN in the inputs; for average pooling, a non-finite output), and only
 * then the output is recomputed with NaN put back where PyTorch has it. On wasm the test is one
 * XNNPACK average pool of the whole tensor into one row (~1.5 ms for 6.6M values on 2 cores):
 * NaN or infinity anywhere makes that row non-finite. Measured on ResNet-50 and EfficientNet-B0
 * forwards (batch 1 and 8, eval and train, with and without @tfvision/native): at most ~1% of
 * the forward's time, mostly the max pool's input and BatchNorm statistics.
 */

interface WasmHeapBackend {
  typedArrayFromHeap(t: tf.TensorInfo): tf.TypedArray;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}
interface CpuBackend {
  data: { get(dataId: tf.DataId): { values?: unknown } | undefined };
}
type KernelArgs = Parameters<tf.KernelFunc>[0];

function isWasm(backend: unknown): backend is WasmHeapBackend {
  return typeof (backend as Partial<WasmHeapBackend>).typedArrayFromHeap === 'function';
}

/** True when every value is finite: v * 0 is 0 for finite v and NaN for NaN and +-Infinity. */
function allFiniteValues(v: ArrayLike<number>): boolean {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (const end = v.length - 3; i < end; i += 4) {
    s0 += v[i] * 0;
    s1 += v[i + 1] * 0;
    s2 += v[i + 2] * 0;
    s3 += v[i + 3] * 0;
  }
  for (; i < v.length; i++) s0 += v[i] * 0;
  return s0 + s1 + s2 + s3 === 0;
}

/** Below this many values a JS loop over the heap is as fast as an XNNPACK pool. */
const POOL_CHECK_MIN_SIZE = 1 << 16;

/**
 * Finiteness per buffer. A dataId's values never change once written (tfjs has no in-place
 * ops; Variable.assign moves the variable to a new dataId), so weights, folded weights and a
 * tensor fed to several kernels are tested once.
 */
const finiteByDataId = new WeakMap<object, boolean>();

/** Whether `t` holds only finite values (undefined: its values cannot be read here). */
function allFinite(backend: unknown, t: tf.TensorInfo, wasmAvgPool: tf.KernelFunc | undefined): boolean | undefined {
  if (t.dtype !== 'float32') return true;
  const known = finiteByDataId.get(t.dataId);
  if (known !== undefined) return known;
  const finite = testFinite(backend, t, wasmAvgPool);
  if (finite !== undefined) finiteByDataId.set(t.dataId, finite);
  return finite;
}

function testFinite(backend: unknown, t: tf.TensorInfo, wasmAvgPool: tf.KernelFunc | undefined): boolean | undefined {
  const size = tf.util.sizeFromShape(t.shape);
  if (isWasm(backend)) {
    if (!wasmAvgPool || size < POOL_CHECK_MIN_SIZE) return allFiniteValues(backend.typedArrayFromHeap(t) as Float32Array);
    // The same buffer seen as [1, rows, 1, channels], pooled over all rows into one row.
    const channels = t.shape.length ? t.shape[t.shape.length - 1] : 1;
    const rows = size / channels;
    const view: tf.TensorInfo = { dataId: t.dataId, shape: [1, rows, 1, channels], dtype: 'float32' };
    const pooled = wasmAvgPool({ inputs: { x: view }, attrs: { filterSize: [rows, 1], strides: [1, 1], pad: 'valid' }, backend: backend as unknown as tf.KernelBackend }) as tf.TensorInfo;
    const finite = allFiniteValues(backend.typedArrayFromHeap(pooled) as Float32Array);
    backend.disposeData(pooled.dataId);
    return finite;
  }
  const values = (backend as CpuBackend).data?.get(t.dataId)?.values;
  return values instanceof Float32Array ? allFiniteValues(values) : undefined;
}

function tensorOf(info: tf.TensorInfo): tf.Tensor {
  return info instanceof tf.Tensor ? info : tf.engine().makeTensorFromTensorInfo(info);
}

interface PoolAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** `out` with NaN in every cell whose pooling window holds a NaN of `x`. */
function nanWherePoolWindowHasNaN(x: tf.TensorInfo, out: tf.TensorInfo, attrs: PoolAttrs): tf.Tensor {
  return tf.tidy(() => {
    const y = tensorOf(out);
    const mask = tf.cast(tf.isNaN(tensorOf(x)), 'float32');
    const { filterSize, strides, pad, dimRoundingMode } = attrs;
    const hit = tf.engine().runKernel(tf.MaxPool, { x: mask }, { filterSize, strides, pad, dimRoundingMode } as unknown as tf.NamedAttrMap) as tf.Tensor;
    return tf.where(tf.greater(hit, 0), tf.fill(y.shape, NaN), y);
  });
}

/** `out` with NaN wherever `x` has one (elementwise kernels). */
function nanWhereInputNaN(x: tf.TensorInfo, out: tf.TensorInfo): tf.Tensor {
  return tf.tidy(() => {
    const xt = tensorOf(x);
    return tf.where(tf.isNaN(xt), xt, tensorOf(out));
  });
}

const wrapped = new Set<string>();
/** tfjs-backend-wasm's own AvgPool, kept when it is wrapped: it runs the finiteness test. */
let plainWasmAvgPool: tf.KernelFunc | undefined;

/** Wraps the kernel registered for (name, backend) once; later calls are no-ops. */
function wrap(kernelName: string, backendName: string, make: (plain: tf.KernelFunc) => tf.KernelFunc): void {
  const key = `${backendName}/${kernelName}`;
  if (wrapped.has(key)) return;
  const config = tf.getKernel(kernelName, backendName);
  if (!config) return; // backend not loaded yet: a later registration call wraps it
  wrapped.add(key);
  const kernelFunc = make(config.kernelFunc);
  tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({ ...config, kernelFunc });
}

function inputsFinite(args: KernelArgs, names: string[], wasmAvgPool: tf.KernelFunc | undefined): boolean {
  return names.every((n) => {
    const t = args.inputs[n] as tf.TensorInfo | undefined;
    return !t || allFinite(args.backend, t, wasmAvgPool) !== false;
  });
}

function wrapPool(kernelName: string, backendName: string, detect: 'input' | 'output', wasmAvgPool: tf.KernelFunc | undefined): void {
  wrap(kernelName, backendName, (plain) => (args) => {
    const out = plain(args) as tf.TensorInfo;
    // Average pooling turns a NaN into an infinity, so a finite output had no NaN to lose (and
    // the output is the smaller tensor); a max pool can drop a NaN beside finite values, so
    // only its input tells.
    if (detect === 'output' && allFinite(args.backend, out, wasmAvgPool) !== false) return out;
    if (inputsFinite(args, ['x'], wasmAvgPool)) return out;
    return nanWherePoolWindowHasNaN(args.inputs.x as tf.TensorInfo, out, args.attrs as unknown as PoolAttrs) as unknown as tf.TensorInfo;
  });
}

function wrapElementwise(kernelName: string, wasmAvgPool: tf.KernelFunc | undefined): void {
  wrap(kernelName, 'wasm', (plain) => (args) => {
    const out = plain(args) as tf.TensorInfo;
    if (inputsFinite(args, ['x'], wasmAvgPool)) return out;
    return nanWhereInputNaN(args.inputs.x as tf.TensorInfo, out) as unknown as tf.TensorInfo;
  });
}

/**
 * A fused convolution or matmul whose relu/relu6 clamp drops NaN: when an input holds a NaN or
 * an infinity, it runs without the activation (the linear result keeps NaN) and the activation
 * is applied by ops that keep NaN.
 */
function wrapFusedActivation(kernelName: string, inputNames: string[], activations: string[], wasmAvgPool: tf.KernelFunc | undefined): void {
  wrap(kernelName, 'wasm', (plain) => (args) => {
    const activation = (args.attrs as { activation?: string } | undefined)?.activation ?? 'linear';
    if (!activations.includes(activation) || inputsFinite(args, inputNames, wasmAvgPool)) return plain(args);
    const linear = plain({ ...args, attrs: { ...args.attrs, activation: 'linear' } }) as tf.TensorInfo;
    return tf.tidy(() => {
      const y = tensorOf(linear);
      const activated = activation === 'relu' ? tf.relu(y) : tf.relu6(y);
      return tf.where(tf.isNaN(y), y, activated);
    }) as unknown as tf.TensorInfo;
  });
}

/**
 * Wraps the kernels that drop NaN on the backends registered so far (cpu, wasm). Idempotent and
 * cheap; @tfvision/nn's kernel registration calls it every time, so a backend loaded later is
 * covered on the next call.
 */
export function registerNanPropagatingKernels(): void {
  wrapPool(tf.MaxPool, 'cpu', 'input', undefined);
  const avgPoolConfig = tf.getKernel(tf.AvgPool, 'wasm');
  if (!avgPoolConfig) return;
  if (!wrapped.has(`wasm/${tf.AvgPool}`)) plainWasmAvgPool = avgPoolConfig.kernelFunc;
  const wasmAvgPool = plainWasmAvgPool;
  wrapPool(tf.MaxPool, 'wasm', 'input', wasmAvgPool);
  wrapPool(tf.AvgPool, 'wasm', 'output', wasmAvgPool);
  wrapElementwise(tf.Relu6, wasmAvgPool);
  wrapElementwise(tf.ClipByValue, wasmAvgPool);
  // XNNPACK's dense convolutions keep NaN through a fused ReLU (nan-propagation.test.ts checks
  // it), so the ResNets' convolutions are not tested for NaN at all; only relu6 clamps there.
  wrapFusedActivation(tf.FusedConv2D, ['x', 'filter', 'bias'], ['relu6'], wasmAvgPool);
  wrapFusedActivation(tf.FusedDepthwiseConv2D, ['x', 'filter', 'bias'], ['relu', 'relu6'], wasmAvgPool);
  wrapFusedActivation(tf._FusedMatMul, ['a', 'b', 'bias'], ['relu', 'relu6'], wasmAvgPool);
}
