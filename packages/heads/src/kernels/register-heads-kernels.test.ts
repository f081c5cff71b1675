import * as tf from '@tensorflow/tfjs-core';
import { RoiAlign, RoiAlignGrad } from './roi-align-attrs.js';
import { ROI_ALIGN_KERNELS, registerHeadsKernels } from './register-heads-kernels.js';

describe('registerHeadsKernels', () => {
  it('registers both RoIAlign kernels for every backend and the gradient, once', () => {
    registerHeadsKernels();
    const first = Object.keys(ROI_ALIGN_KERNELS).map((b) => [tf.getKernel(RoiAlign, b)?.kernelFunc, tf.getKernel(RoiAlignGrad, b)?.kernelFunc]);
    expect(Object.keys(ROI_ALIGN_KERNELS).sort()).toEqual(['cpu', 'tensorflow', 'wasm', 'webgpu']);
    Object.entries(ROI_ALIGN_KERNELS).forEach(([, k], i) => expect(first[i]).toEqual([k.forward, k.backward]));
    expect(tf.getGradient(RoiAlign)?.inputsToSave).toEqual(['x', 'rois']);
    registerHeadsKernels();
    expect(Object.keys(ROI_ALIGN_KERNELS).map((b) => [tf.getKernel(RoiAlign, b)?.kernelFunc, tf.getKernel(RoiAlignGrad, b)?.kernelFunc])).toEqual(first);
  });
});
