/**
 * Gradients of the exact resize kernels. TfvResizeExact's input gets TfvResizeExactGrad of the
 * active backend (the scatter-add adjoint with torch's taps, as torch's upsample backward);
 * since that adjoint is linear, its own gradient is the forward resize again.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ResizeExact, ResizeExactGrad, resizeExactAttrsOf } from './resize-exact-attrs.js';

let registered = false;

export function registerResizeExactGradients(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: ResizeExact,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const grad = Array.isArray(dy) ? dy[0] : dy;
      return { x: () => tf.engine().runKernel(ResizeExactGrad, { dy: grad }, { ...resizeExactAttrsOf(attrs), inputShape: x.shape }) as tf.Tensor };
    },
  });
  tf.registerGradient({
    kernelName: ResizeExactGrad,
    gradFunc: (ddx, _saved, attrs) => {
      const grad = Array.isArray(ddx) ? ddx[0] : ddx;
      return { dy: () => tf.engine().runKernel(ResizeExact, { x: grad }, resizeExactAttrsOf(attrs) as unknown as tf.NamedAttrMap) as tf.Tensor };
    },
  });
}
