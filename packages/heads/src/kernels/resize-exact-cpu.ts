/**
 * TfvResizeExact and TfvResizeExactGrad on tfjs-backend-cpu: the host loops of
 * resize-exact-host.ts over the backend's own typed arrays (torch 1.13 interpolate rules).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { checkBilinearDtype, resizeExactAttrsOf, type ResizeExactGradAttrs, type Shape4 } from './resize-exact-attrs.js';
import { resizeBackwardHost, resizedShape, resizeForwardHost } from './resize-exact-host.js';
import { checkFloat32, type CpuBackendLike } from './host-backend.js';

type Values = Float32Array | Int32Array | Uint8Array;

function allocate(dtype: tf.DataType, n: number): Values {
  if (dtype === 'float32') return new Float32Array(n);
  if (dtype === 'int32') return new Int32Array(n);
  if (dtype === 'bool') return new Uint8Array(n);
  throw new Error(`interpolate: x must be float32, int32 or bool, got ${dtype}`);
}

export const resizeExactCpu: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const x = inputs.x as tf.TensorInfo;
  const a = resizeExactAttrsOf(attrs);
  checkBilinearDtype(a.mode, x, 'tensor');
  const cpu = backend as unknown as CpuBackendLike;
  const outShape = resizedShape(x.shape, a);
  const out = allocate(x.dtype, outShape[0] * outShape[1] * outShape[2] * outShape[3]);
  resizeForwardHost(cpu.readSync(x.dataId) as Values, x.shape as Shape4, a, out);
  return cpu.makeTensorInfo(outShape, x.dtype, out);
};

export const resizeExactGradCpu: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const dy = inputs.dy as tf.TensorInfo;
  checkFloat32('interpolate', 'gradient', dy);
  const a = resizeExactAttrsOf(attrs);
  const inputShape = [...(attrs as unknown as ResizeExactGradAttrs).inputShape] as Shape4;
  const cpu = backend as unknown as CpuBackendLike;
  const dx = new Float32Array(inputShape[0] * inputShape[1] * inputShape[2] * inputShape[3]);
  resizeBackwardHost(cpu.readSync(dy.dataId) as Float32Array, inputShape, a, dx);
  return cpu.makeTensorInfo(inputShape, 'float32', dx);
};
