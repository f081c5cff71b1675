import * as tf from '@tensorflow/tfjs-core';
import { compositeKernel, replaceKernel } from './composite.js';

/**
 * Sum and Mean over every axis but the last (BatchNorm statistics, bias and BN gradients) as
 * XNNPACK average pooling. tfjs-backend-wasm reduces only innermost axes, so it transposes
 * first: ~25 ms for a fresh 8x28x28x256 tensor, against ~1.3 ms for a spatial average pool
 * followed by one over the batch. (A ones-row matmul is as fast only when XNNPACK has already
 * packed that tensor: fresh, it packs it as a weight matrix, ~18 ms.) Other reductions keep
 * the original kernel.
 */
function leadingAxesOnly(shape: number[], axis: number | number[]): boolean {
  if (shape.length < 2) return false;
  const axes = tf.util.parseAxisParam(axis, shape).sort((a, b) => a - b);
  return axes.length === shape.length - 1 && axes.every((a, i) => a === i);
}

function replaceReduction(kernelName: string, scaleByCount: boolean): void {
  const original = tf.getKernel(kernelName, 'wasm');
  if (!original) return;
  const plain = original.kernelFunc;
  const viaMatMul = compositeKernel(({ x }, attrs) => {
    const { keepDims } = attrs as unknown as { keepDims: boolean };
    const channels = x.shape[x.shape.length - 1];
    const rows = x.size / channels;
    const [n, h, w] = x.shape.length === 4 ? x.shape : x.shape.length === 3 ? [x.shape[0], x.shape[1], 1] : [1, rows, 1];
    let means = tf.avgPool(tf.reshape(x, [n, h, w, channels]) as tf.Tensor4D, [h, w], 1, 'valid');
    // Equal counts per image, so the mean of the per-image means is the overall mean.
    if (n > 1) means = tf.avgPool(tf.reshape(means, [1, n, 1, channels]) as tf.Tensor4D, [n, 1], 1, 'valid');
    const reduced = scaleByCount ? means : tf.mul(means, rows);
    return tf.reshape(reduced, keepDims ? [...x.shape.slice(0, -1).map(() => 1), channels] : [channels]);
  });
  replaceKernel(kernelName, 'wasm', (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const { axis } = args.attrs as unknown as { axis: number | number[] };
    return x.dtype === 'float32' && leadingAxesOnly(x.shape, axis) ? viaMatMul(args) : plain(args);
  });
}

export function registerWasmReductions(): void {
  replaceReduction(tf.Sum, false);
  replaceReduction(tf.Mean, true);
}
