import * as tf from '@tensorflow/tfjs-core';
import { adjointPads, flipTaps, insertZeros, isZeroPad, needsUnitStride, padOrCrop, spreadToUnitStride, tfPad, unitStrideOutput, type ConvGeometry } from './geometry.js';

/**
 * Input gradient of a dense convolution as a forward convolution: zero-insert dy by the
 * stride, then correlate with the spatially flipped filter whose in/out channels are swapped.
 * Forward convolutions are the best-tuned kernels on every backend (on wasm, XNNPACK runs them
 * about 10x faster than its Conv2DBackpropInput), and this form also handles dilation, which
 * tfjs' own gradient refuses.
 */
export function convInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: [number, number, number, number], g: ConvGeometry): tf.Tensor4D {
  const [n, inH, inW, inC] = inputShape;
  const [kh, kw, , outC] = filter.shape;
  const pads = adjointPads(inH, inW, dy.shape[1], dy.shape[2], [kh, kw], g);
  if (kh === 1 && kw === 1) {
    // A 1x1 convolution is a matmul; its adjoint is the matmul with the weight transposed,
    // spread back by the stride.
    const [, oh, ow] = dy.shape;
    const cols = tf.reshape(tf.matMul(tf.reshape(dy, [n * oh * ow, outC]), tf.transpose(tf.reshape(filter, [inC, outC]))), [n, oh, ow, inC]) as tf.Tensor4D;
    return padOrCrop(insertZeros(cols, g.strides), pads);
  }
  const flipped = flipTaps(tf.reshape(tf.transpose(tf.reshape(filter, [kh * kw, inC, outC]), [0, 2, 1]), [kh, kw, outC, inC]) as tf.Tensor4D);
  const spread = insertZeros(dy, g.strides);
  const nonNegative = pads.every(([a, b]) => a >= 0 && b >= 0);
  const input = nonNegative ? spread : padOrCrop(spread, pads);
  const pad = nonNegative ? tfPad(pads) : 'valid';
  return tf.conv2d(input, flipped, 1, pad, 'NHWC', g.dilations);
}

/**
 * Filter gradient of a dense convolution as a forward convolution with the roles swapped:
 * channels become the batch and the batch becomes the channels, the output gradient is the
 * filter (dilated by the forward stride), and the forward dilation becomes the stride:
 * dW[i,j,c,o] = sum_{n,p} x[n, p*s + (i,j)*d - pad, c] dy[n, p, o].
 */
export function convFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number], g: ConvGeometry): tf.Tensor4D {
  const [kh, kw, inC, outC] = filterShape;
  if (needsUnitStride(g)) {
    // Stride and dilation both > 1: the swapped convolution would need both too.
    const unit = unitStrideOutput(x.shape[1], x.shape[2], [kh, kw], g);
    return convFilterGrad(x, spreadToUnitStride(dy, g.strides, unit), filterShape, { ...g, strides: [1, 1] });
  }
  const xt = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D; // [C, H, W, N]
  const dyt = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [OH, OW, N, O]
  const pad = isZeroPad(g.pad) ? 'valid' : ([[0, 0], g.pad[0], g.pad[1], [0, 0]] as [[number, number], [number, number], [number, number], [number, number]]);
  const full = tf.conv2d(xt, dyt, g.dilations, pad, 'NHWC', g.strides); // [C, >=kh, >=kw, O]
  const exact = full.shape[1] === kh && full.shape[2] === kw ? full : tf.slice(full, [0, 0, 0, 0], [inC, kh, kw, outC]);
  return tf.transpose(exact, [1, 2, 0, 3]) as tf.Tensor4D;
}
