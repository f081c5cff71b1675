import type * as tf from '@tensorflow/tfjs-core';
import { roiAlignAttrsOf, type RoiAlignGradAttrs } from './roi-align-attrs.js';
import { roiAlignBackwardHost, roiAlignForwardHost } from './roi-align-host.js';
import { checkFloat32, type CpuBackendLike, type Shape4 } from './host-backend.js';

/** RoIAlign on tfjs-backend-cpu: the host loop over the backend's own typed arrays (no copies). */
export const roiAlignCpu: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const { x, rois } = inputs as { x: tf.TensorInfo; rois: tf.TensorInfo };
  checkFloat32('roiAlign', 'features', x);
  checkFloat32('roiAlign', 'rois', rois);
  const a = roiAlignAttrsOf(attrs);
  const cpu = backend as unknown as CpuBackendLike;
  const numRois = rois.shape[0];
  const outShape = [numRois, a.pooledHeight, a.pooledWidth, x.shape[3]];
  const out = new Float32Array(outShape[0] * outShape[1] * outShape[2] * outShape[3]);
  roiAlignForwardHost(cpu.readSync(x.dataId) as Float32Array, x.shape as Shape4, cpu.readSync(rois.dataId) as Float32Array, numRois, a, out);
  return cpu.makeTensorInfo(outShape, 'float32', out);
};

export const roiAlignGradCpu: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const { dy, rois } = inputs as { dy: tf.TensorInfo; rois: tf.TensorInfo };
  checkFloat32('roiAlign', 'rois', rois);
  const a = roiAlignAttrsOf(attrs);
  const inputShape = [...(attrs as unknown as RoiAlignGradAttrs).inputShape] as Shape4;
  const cpu = backend as unknown as CpuBackendLike;
  const dx = new Float32Array(inputShape[0] * inputShape[1] * inputShape[2] * inputShape[3]);
  roiAlignBackwardHost(cpu.readSync(dy.dataId) as Float32Array, cpu.readSync(rois.dataId) as Float32Array, rois.shape[0], a, inputShape, dx);
  return cpu.makeTensorInfo(inputShape, 'float32', dx);
};
