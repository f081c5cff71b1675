import * as tf from '@tensorflow/tfjs-core';

/**
 * Kernels here are compositions of other kernels of the same backend. tfjs' engine accepts a
 * kernel that returns a Tensor (it uses it as the output as is), and does not record nested
 * ops on the gradient tape (it only tapes at kernel depth 0), so a composite kernel is just a
 * tidy over tensor ops: intermediates are freed when it returns, the result is handed over.
 */
export function compositeKernel(body: (inputs: Record<string, tf.Tensor>, attrs: tf.NamedAttrMap) => tf.Tensor): tf.KernelFunc {
  return ({ inputs, attrs }) =>
    tf.tidy(() => {
      const tensors: Record<string, tf.Tensor> = {};
      for (const [name, info] of Object.entries(inputs)) {
        if (info === undefined) continue;
        // Inputs are usually the caller's Tensors; gradient code may pass bare TensorInfos.
        tensors[name] = info instanceof tf.Tensor ? info : tf.engine().makeTensorFromTensorInfo(info);
      }
      return body(tensors, attrs ?? {});
    }) as unknown as tf.TensorInfo;
}

/**
 * Registers `kernelFunc` for `backendName` unless a kernel is already there: a package's
 * default that leaves in place one registered earlier (@tfvision/native's C kernels on wasm,
 * or the same package loaded twice). True when it registered.
 */
export function registerKernelIfAbsent(kernelName: string, backendName: string, kernelFunc: tf.KernelFunc): boolean {
  if (tf.getKernel(kernelName, backendName)) return false;
  tf.registerKernel({ kernelName, backendName, kernelFunc });
  return true;
}

/** Registers `kernelFunc` for `backendName`, replacing a kernel tfjs may already have there. */
export function replaceKernel(kernelName: string, backendName: string, kernelFunc: tf.KernelFunc): void {
  if (tf.getKernel(kernelName, backendName)) tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({ kernelName, backendName, kernelFunc });
}
