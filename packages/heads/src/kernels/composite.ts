import * as tf from '@tensorflow/tfjs-core';

/**
 * A kernel written as tfjs ops of the same backend. The engine takes a Tensor returned by a
 * kernel as its output and does not tape ops run at kernel depth > 0, so this is a tidy over
 * tensor ops: intermediates are freed, the result is handed over.
 */
export function compositeKernel(body: (inputs: Record<string, tf.Tensor>, attrs: tf.NamedAttrMap) => tf.Tensor): tf.KernelFunc {
  return ({ inputs, attrs }) =>
    tf.tidy(() => {
      const tensors: Record<string, tf.Tensor> = {};
      for (const [name, info] of Object.entries(inputs)) {
        if (info === undefined) continue;
        // Gradient code may hand bare TensorInfos; the engine's forward passes Tensors.
        tensors[name] = info instanceof tf.Tensor ? info : tf.engine().makeTensorFromTensorInfo(info);
      }
      return body(tensors, attrs ?? {});
    }) as unknown as tf.TensorInfo;
}
