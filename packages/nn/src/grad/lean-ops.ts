import * as tf from '@tensorflow/tfjs-core';

/**
 * Element-wise ops whose backward pass keeps fewer activations than tfjs's recording of them.
 *
 * Why: the tape keeps what each kernel's gradient config asks for until the whole backward
 * pass ends. tfjs's Add keeps both inputs (for their shapes), Mul both, Relu its input. So
 * conv -> bias -> ReLU kept three activation-sized buffers where one suffices, and a
 * paper-size detector (Mask R-CNN at 800x1088, batch 2) did not fit the 4 GB wasm heap. The
 * gradients here are the same arithmetic as tfjs's (tested bit for bit), so training results do
 * not change; only what the tape holds does.
 */

let reluRegistered = false;

/**
 * Relu's gradient from its output instead of its input: y > 0 exactly where x > 0, and a NaN
 * stays NaN, so dx = dy * step(y) equals tfjs's dy * step(x). Its output is what the next layer
 * (a convolution) keeps anyway, so the tape shares that buffer instead of holding the
 * pre-activation too. Registered for every backend (gradients are backend-independent).
 */
export function registerLeanReluGradient(): void {
  if (reluRegistered) return;
  reluRegistered = true;
  tf.registerGradient({
    kernelName: tf.Relu,
    outputsToSave: [true],
    gradFunc: (dy, saved) => {
      const [y] = saved;
      return { x: () => tf.mul(dy as tf.Tensor, tf.cast(tf.step(y), 'float32')) };
    },
  });
}

const shapeText = (t: tf.Tensor) => `[${t.shape.join(', ')}]`;

/**
 * `x + bias` over the last (channel) axis, keeping nothing for the backward pass: dx = dy and
 * dbias = the sum of dy over the other axes, as tfjs's Add gradient computes them.
 */
export function biasAdd<T extends tf.Tensor>(x: T, bias: tf.Tensor1D): T {
  const channels = x.shape[x.rank - 1];
  if (bias.rank !== 1 || bias.shape[0] !== channels) throw new Error(`biasAdd: bias must be [${channels}] (the last axis of x ${shapeText(x)}), got ${shapeText(bias)}`);
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.add(args[0] as tf.Tensor, args[1] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => [dy, tf.sum(dy, axes)],
  }));
  return op(x, bias) as T;
}

/**
 * `x * scale + shift` per channel (last axis) with `scale` and `shift` held constant: what a
 * frozen BatchNorm computes. Keeps only `scale` for the backward pass (dx = dy * scale); tfjs
 * would keep x and x * scale. Gives no gradient to scale or shift: use it only where they
 * come from parameters that do not train.
 */
export function constantChannelAffine<T extends tf.Tensor>(x: T, scale: tf.Tensor1D, shift: tf.Tensor1D): T {
  const channels = x.shape[x.rank - 1];
  for (const [name, t] of [['scale', scale], ['shift', shift]] as const) {
    if (t.rank !== 1 || t.shape[0] !== channels) throw new Error(`constantChannelAffine: ${name} must be [${channels}] (the last axis of x ${shapeText(x)}), got ${shapeText(t)}`);
  }
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    (args[1] as tf.GradSaveFunc)([scale]);
    return {
      value: tf.add(tf.mul(args[0] as tf.Tensor, scale), shift),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, saved[0]),
    };
  });
  return op(x) as T;
}
