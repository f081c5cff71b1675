import * as tf from '@tensorflow/tfjs-core';
import { adjointPads, flipTaps, insertZeros, isZeroPad, needsUnitStride, padOrCrop, spreadToUnitStride, tfPad, unitStrideOutput, type ConvGeometry } from './geometry.js';

/**
 * Input gradient of a depthwise convolution (filter [kh, kw, C, M]) as a forward depthwise
 * convolution of the zero-inserted output gradient with the flipped filter; with a channel
 * multiplier M > 1 each of the C*M gradient channels is convolved on its own and the M
 * results of one input channel are summed.
 */
export function depthwiseInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: [number, number, number, number], g: ConvGeometry): tf.Tensor4D {
  const [n, inH, inW, channels] = inputShape;
  const [kh, kw, , multiplier] = filter.shape;
  const pads = adjointPads(inH, inW, dy.shape[1], dy.shape[2], [kh, kw], g);
  const flipped = tf.reshape(flipTaps(filter), [kh, kw, channels * multiplier, 1]) as tf.Tensor4D;
  const spread = insertZeros(dy, g.strides);
  const nonNegative = pads.every(([a, b]) => a >= 0 && b >= 0);
  const input = nonNegative ? spread : padOrCrop(spread, pads);
  const pad = nonNegative ? tfPad(pads) : 'valid';
  const perChannel = tf.depthwiseConv2d(input, flipped, 1, pad, 'NHWC', g.dilations);
  if (multiplier === 1) return perChannel;
  return tf.reshape(tf.sum(tf.reshape(perChannel, [n * inH * inW * channels, multiplier]), 1), [n, inH, inW, channels]);
}

/**
 * Filter gradient of a depthwise convolution as one depthwise convolution over (channel,
 * image) pairs whose filter is the output gradient: a [1, H, W, C*N] input correlated with
 * a [OH, OW, C*N, M] filter at dilation = forward stride and stride = forward dilation gives
 * per-image filter gradients, which are summed over the images.
 */
export function depthwiseFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number], g: ConvGeometry): tf.Tensor4D {
  const [kh, kw, channels, multiplier] = filterShape;
  if (needsUnitStride(g)) {
    const unit = unitStrideOutput(x.shape[1], x.shape[2], [kh, kw], g);
    return depthwiseFilterGrad(x, spreadToUnitStride(dy, g.strides, unit), filterShape, { ...g, strides: [1, 1] });
  }
  const [n, h, w] = x.shape;
  const [, oh, ow] = dy.shape;
  const xt = tf.reshape(tf.transpose(x, [1, 2, 3, 0]), [1, h, w, channels * n]) as tf.Tensor4D;
  const dyt =
    multiplier === 1
      ? tf.reshape(tf.transpose(dy, [1, 2, 3, 0]), [oh, ow, channels * n, 1])
      : tf.reshape(tf.transpose(tf.reshape(dy, [n, oh, ow, channels, multiplier]), [1, 2, 3, 0, 4]), [oh, ow, channels * n, multiplier]);
  const pad = isZeroPad(g.pad) ? 'valid' : ([[0, 0], g.pad[0], g.pad[1], [0, 0]] as [[number, number], [number, number], [number, number], [number, number]]);
  const full = tf.depthwiseConv2d(xt, dyt as tf.Tensor4D, g.dilations, pad, 'NHWC', g.strides); // [1, >=kh, >=kw, C*N*M]
  const exact = full.shape[1] === kh && full.shape[2] === kw ? full : tf.slice(full, [0, 0, 0, 0], [1, kh, kw, channels * n * multiplier]);
  return tf.reshape(tf.sum(tf.reshape(exact, [kh * kw * channels, n, multiplier]), 1), [kh, kw, channels, multiplier]);
}

