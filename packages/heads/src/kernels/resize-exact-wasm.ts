/**
 * TfvResizeExact and TfvResizeExactGrad on tfjs-backend-wasm: the host loops of
 * resize-exact-host.ts run on views of the wasm heap, so nothing is copied in or out. Views
 * are taken after the output is allocated (allocation can grow, and so move, the heap); the
 * loops allocate only on the JS heap.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { checkBilinearDtype, resizeExactAttrsOf, type ResizeExactGradAttrs, type Shape4 } from './resize-exact-attrs.js';
import { resizeBackwardHost, resizedShape, resizeForwardHost } from './resize-exact-host.js';
import { checkFloat32, type WasmBackendLike } from './host-backend.js';

type Values = Float32Array | Int32Array | Uint8Array;

function onHeap(backend: WasmBackendLike, outShape: number[], dtype: tf.DataType, input: tf.TensorInfo, body: (x: Values, out: Values) => void): tf.TensorInfo {
  const out = backend.makeOutput(outShape, dtype);
  try {
    body(backend.typedArrayFromHeap(input) as Values, backend.typedArrayFromHeap(out) as Values);
  } catch (err) {
    backend.disposeData(out.dataId);
    throw err;
  }
  return out;
}

export const resizeExactWasm: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const x = inputs.x as tf.TensorInfo;
  const a = resizeExactAttrsOf(attrs);
  checkBilinearDtype(a.mode, x, 'tensor');
  if (x.dtype !== 'float32' && x.dtype !== 'int32' && x.dtype !== 'bool') throw new Error(`interpolate: x must be float32, int32 or bool, got ${x.dtype}`);
  return onHeap(backend as unknown as WasmBackendLike, resizedShape(x.shape, a), x.dtype, x, (xv, out) => resizeForwardHost(xv, x.shape as Shape4, a, out));
};

export const resizeExactGradWasm: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const dy = inputs.dy as tf.TensorInfo;
  checkFloat32('interpolate', 'gradient', dy);
  const a = resizeExactAttrsOf(attrs);
  const inputShape = [...(attrs as unknown as ResizeExactGradAttrs).inputShape] as Shape4;
  return onHeap(backend as unknown as WasmBackendLike, inputShape, 'float32', dy, (dv, dx) => resizeBackwardHost(dv as Float32Array, inputShape, a, dx as Float32Array));
};
