/**
 * TfvResizeExact and TfvResizeExactGrad as compositions of tfjs ops, for the backends without
 * a host loop (webgpu, webgl, tensorflow): torch's taps (ops/resize-taps.ts) gathered along W
 * then H and blended as lo·w0 + hi·w1 in float32, one op at a time — the same arithmetic as the
 * host loops of resize-exact-host.ts. The adjoint scatters with unsortedSegmentSum, which is
 * what tfjs' own gather gradient does.
 */
import * as tf from '@tensorflow/tfjs-core';
import { linearTaps, nearestTaps } from '../ops/resize-taps.js';
import { kernelScale, resizeExactAttrsOf, type ResizeExactAttrs, type ResizeExactGradAttrs } from './resize-exact-attrs.js';
import { compositeKernel } from '@tfvision/nn';

type Axis = 1 | 2;

function weights(w: Float32Array, axis: Axis): tf.Tensor4D {
  return tf.tensor4d(w, axis === 1 ? [1, w.length, 1, 1] : [1, 1, w.length, 1]);
}

function bilinearAxis(x: tf.Tensor4D, axis: Axis, outSize: number, a: ResizeExactAttrs): tf.Tensor4D {
  const inSize = x.shape[axis];
  const taps = linearTaps(inSize, outSize, a.alignCorners, kernelScale(axis === 1 ? a.scaleH : a.scaleW));
  if (taps.identity) return x;
  const lo = tf.gather(x, tf.tensor1d(taps.i0, 'int32'), axis);
  const hi = tf.gather(x, tf.tensor1d(taps.i1, 'int32'), axis);
  return tf.add(tf.mul(lo, weights(taps.w0, axis)), tf.mul(hi, weights(taps.w1, axis)));
}

function nearestAxis(x: tf.Tensor4D, axis: Axis, outSize: number, a: ResizeExactAttrs): tf.Tensor4D {
  if (x.shape[axis] === outSize) return x;
  return tf.gather(x, tf.tensor1d(nearestTaps(x.shape[axis], outSize, kernelScale(axis === 1 ? a.scaleH : a.scaleW)), 'int32'), axis);
}

/** The forward as tensor ops (a new tensor, also when both axes are unchanged). */
export function resizeExactComposite(x: tf.Tensor4D, a: ResizeExactAttrs): tf.Tensor4D {
  return tf.tidy(() => {
    const out =
      a.mode === 'bilinear'
        ? bilinearAxis(bilinearAxis(x, 2, a.outWidth, a), 1, a.outHeight, a)
        : nearestAxis(nearestAxis(x, 1, a.outHeight, a), 2, a.outWidth, a);
    return out === x ? tf.clone(x) : out;
  });
}

/** The adjoint of a gather along `axis`: the sum of g's slices into `inSize` slots by index. */
function scatterAxis(g: tf.Tensor4D, index: Int32Array, axis: Axis, inSize: number): tf.Tensor4D {
  const perm = axis === 1 ? [1, 0, 2, 3] : [2, 0, 1, 3];
  const back = axis === 1 ? [1, 0, 2, 3] : [1, 2, 0, 3];
  const summed = tf.unsortedSegmentSum(tf.transpose(g, perm), tf.tensor1d(index, 'int32'), inSize);
  return tf.transpose(summed, back) as tf.Tensor4D;
}

function bilinearAxisAdjoint(g: tf.Tensor4D, axis: Axis, inSize: number, a: ResizeExactAttrs): tf.Tensor4D {
  const taps = linearTaps(inSize, g.shape[axis], a.alignCorners, kernelScale(axis === 1 ? a.scaleH : a.scaleW));
  if (taps.identity) return g;
  const both = tf.concat([tf.mul(g, weights(taps.w0, axis)), tf.mul(g, weights(taps.w1, axis))], axis) as tf.Tensor4D;
  const index = new Int32Array(taps.i0.length * 2);
  index.set(taps.i0);
  index.set(taps.i1, taps.i0.length);
  return scatterAxis(both, index, axis, inSize);
}

function nearestAxisAdjoint(g: tf.Tensor4D, axis: Axis, inSize: number, a: ResizeExactAttrs): tf.Tensor4D {
  if (g.shape[axis] === inSize) return g;
  return scatterAxis(g, nearestTaps(inSize, g.shape[axis], kernelScale(axis === 1 ? a.scaleH : a.scaleW)), axis, inSize);
}

/** The adjoint as tensor ops: dy [N, outH, outW, C] -> [N, H, W, C] of inputShape. */
export function resizeExactGradComposite(dy: tf.Tensor4D, a: ResizeExactAttrs, inputShape: readonly number[]): tf.Tensor4D {
  const [, h, w] = inputShape;
  return tf.tidy(() => {
    const g = tf.cast(dy, 'float32');
    const out =
      a.mode === 'bilinear'
        ? bilinearAxisAdjoint(bilinearAxisAdjoint(g, 1, h, a), 2, w, a)
        : nearestAxisAdjoint(nearestAxisAdjoint(g, 2, w, a), 1, h, a);
    return out;
  });
}

export const resizeExactCompositeKernel = compositeKernel(({ x }, attrs) => resizeExactComposite(x as tf.Tensor4D, resizeExactAttrsOf(attrs)));

export const resizeExactGradCompositeKernel = compositeKernel(({ dy }, attrs) =>
  resizeExactGradComposite(dy as tf.Tensor4D, resizeExactAttrsOf(attrs), (attrs as unknown as ResizeExactGradAttrs).inputShape),
);
