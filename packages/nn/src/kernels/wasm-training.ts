import * as tf from '@tensorflow/tfjs-core';
import { compositeKernel, replaceKernel } from './composite.js';
import { convFilterGrad, convInputGrad } from './dense-grads.js';
import { depthwiseFilterGrad, depthwiseInputGrad } from './depthwise-grads.js';
import { padsFromConvInfo, type ConvGeometry } from './geometry.js';
import { registerWasmReductions } from './wasm-reductions.js';

type Shape4 = [number, number, number, number];
type PadAttr = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

interface ConvGradAttrs {
  strides: [number, number] | number;
  pad: PadAttr;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: [number, number] | number;
}

function pair(v: [number, number] | number | undefined): [number, number] {
  if (v === undefined) return [1, 1];
  return typeof v === 'number' ? [v, v] : v;
}

function geometryOf(kernelName: string, inputShape: Shape4, filterShape: Shape4, a: ConvGradAttrs, depthwise: boolean): ConvGeometry {
  if (a.dataFormat === 'NCHW') throw new Error(`${kernelName} (tfvision wasm kernel): dataFormat NCHW is not supported, use NHWC`);
  const strides = pair(a.strides);
  const dilations = pair(a.dilations);
  const info = tf.backend_util.computeConv2DInfo(inputShape, filterShape, strides, dilations, a.pad, a.dimRoundingMode, depthwise, 'channelsLast');
  return { strides, dilations, pad: padsFromConvInfo(info) };
}

function swapLastTwo(t: tf.Tensor): tf.Tensor {
  const perm = t.shape.map((_, i) => i);
  [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
  return tf.transpose(t, perm);
}

/**
 * tfjs-backend-wasm's BatchMatMul is ~15x slower with transposeA or transposeB than on
 * pre-transposed operands (119 ms vs 8 ms for 1568x256 by 256x256^T), and matmul gradients
 * always ask for a transpose. This wrapper transposes explicitly and calls the original kernel.
 */
function registerWasmMatMulTransposes(): void {
  const original = tf.getKernel(tf.BatchMatMul, 'wasm');
  if (!original) return;
  const plain = original.kernelFunc;
  const composite = compositeKernel(({ a, b }, attrs) => {
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const left = transposeA ? swapLastTwo(a) : a;
    const right = transposeB ? swapLastTwo(b) : b;
    return tf.engine().runKernel(tf.BatchMatMul, { a: left, b: right }, { transposeA: false, transposeB: false }) as tf.Tensor;
  });
  replaceKernel(tf.BatchMatMul, 'wasm', (args) => {
    const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
    return transposeA || transposeB ? composite(args) : plain(args);
  });
}

/**
 * Training kernels the wasm backend lacks (Conv2DBackpropFilter, both depthwise backprops),
 * and Conv2DBackpropInput, which it has but runs ~10x slower than a forward convolution.
 * All are rewritten as forward (depthwise) convolutions, which XNNPACK runs well.
 */
export function registerWasmTrainingKernels(): void {
  registerWasmMatMulTransposes();
  registerWasmReductions();
  replaceKernel(
    tf.Conv2DBackpropFilter,
    'wasm',
    compositeKernel(({ x, dy }, attrs) => {
      const a = attrs as unknown as ConvGradAttrs & { filterShape: Shape4 };
      const g = geometryOf(tf.Conv2DBackpropFilter, x.shape as Shape4, a.filterShape, a, false);
      return convFilterGrad(x as tf.Tensor4D, dy as tf.Tensor4D, a.filterShape, g);
    }),
  );
  replaceKernel(
    tf.Conv2DBackpropInput,
    'wasm',
    compositeKernel(({ dy, filter }, attrs) => {
      const a = attrs as unknown as ConvGradAttrs & { inputShape: Shape4 };
      const g = geometryOf(tf.Conv2DBackpropInput, a.inputShape, filter.shape as Shape4, a, false);
      return convInputGrad(dy as tf.Tensor4D, filter as tf.Tensor4D, a.inputShape, g);
    }),
  );
  replaceKernel(
    tf.DepthwiseConv2dNativeBackpropFilter,
    'wasm',
    compositeKernel(({ x, dy }, attrs) => {
      const a = attrs as unknown as ConvGradAttrs & { filterShape: Shape4 };
      const g = geometryOf(tf.DepthwiseConv2dNativeBackpropFilter, x.shape as Shape4, a.filterShape, a, true);
      return depthwiseFilterGrad(x as tf.Tensor4D, dy as tf.Tensor4D, a.filterShape, g);
    }),
  );
  replaceKernel(
    tf.DepthwiseConv2dNativeBackpropInput,
    'wasm',
    compositeKernel(({ dy, filter }, attrs) => {
      const a = attrs as unknown as ConvGradAttrs & { inputShape: Shape4 };
      const g = geometryOf(tf.DepthwiseConv2dNativeBackpropInput, a.inputShape, filter.shape as Shape4, a, true);
      return depthwiseInputGrad(dy as tf.Tensor4D, filter as tf.Tensor4D, a.inputShape, g);
    }),
  );
}
