import * as tf from '@tensorflow/tfjs-core';
import { RoiAlign, RoiAlignGrad } from './roi-align-attrs.js';

let registered = false;

/**
 * The gradient of TfvRoiAlign: features get TfvRoiAlignGrad of the active backend; rois get
 * zeros, as torchvision returns no gradient for them (proposals are detached there).
 */
export function registerRoiAlignGradient(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: RoiAlign,
    inputsToSave: ['x', 'rois'],
    gradFunc: (dy, saved, attrs) => {
      const [x, rois] = saved;
      const grad = Array.isArray(dy) ? dy[0] : dy;
      return {
        x: () => tf.engine().runKernel(RoiAlignGrad, { dy: grad, rois }, { ...attrs, inputShape: x.shape }) as tf.Tensor,
        rois: () => tf.zerosLike(rois),
      };
    },
  });
}
