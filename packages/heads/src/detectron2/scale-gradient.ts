/**
 * detectron2's _ScaleGradient (modeling/roi_heads/cascade_rcnn.py @02b5c4e): the identity forward,
 * the incoming gradient times `scale` backward. Each cascade stage scales its pooled features by
 * 1 / num_stages, so the backbone sees the average of the stages' gradients.
 */
import * as tf from '@tensorflow/tfjs-core';

export function scaleGradient<T extends tf.Tensor>(x: T, scale: number): T {
  if (!Number.isFinite(scale)) throw new Error(`scaleGradient: scale must be finite, got ${scale}`);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.clone(args[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => tf.mul(dy, scale),
  }));
  return f(x) as T;
}
