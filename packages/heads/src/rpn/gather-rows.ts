/**
 * Rows of a tensor by host indices (x[indices] along axis 0), differentiable with a scatter-add
 * gradient. tfjs's own gather backpropagates through unsortedSegmentSum, which the CPU backend
 * runs as one equal/multiply/sum per row of x: over the ~10^5 anchors of an RPN batch that is
 * minutes per step; scatterND adds the rows' gradients in one pass.
 */
import * as tf from '@tensorflow/tfjs-core';

export function gatherRows<T extends tf.Tensor>(x: T, indices: Int32Array): T {
  const rows = x.shape[0];
  for (const i of indices) if (!(i >= 0 && i < rows)) throw new Error(`gatherRows: index ${i} is outside [0, ${rows})`);
  const shape = x.shape;
  const gather = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.gather(inputs[0] as tf.Tensor, tf.tensor1d(indices, 'int32')),
    gradFunc: (dy: tf.Tensor) => (indices.length === 0 ? tf.zeros(shape) : tf.scatterND(tf.tensor2d(indices, [indices.length, 1], 'int32'), dy, shape)),
  }));
  return tf.tidy(() => gather(x) as T);
}
