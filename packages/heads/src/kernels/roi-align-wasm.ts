import type * as tf from '@tensorflow/tfjs-core';
import { roiAlignAttrsOf, type RoiAlignGradAttrs } from './roi-align-attrs.js';
import { roiAlignBackwardHost, roiAlignForwardHost } from './roi-align-host.js';
import { checkFloat32, type Shape4, type WasmBackendLike } from './host-backend.js';

/**
 * RoIAlign on tfjs-backend-wasm: the host loop runs on views of the wasm heap, so nothing is
 * copied in or out. Views are taken after the output is allocated, since allocation can grow
 * (and so move) the heap; the loop itself allocates nothing on it.
 */
function onHeap(backend: WasmBackendLike, outShape: number[], inputs: tf.TensorInfo[], body: (views: Float32Array[], out: Float32Array) => void): tf.TensorInfo {
  const out = backend.makeOutput(outShape, 'float32');
  try {
    body(
      inputs.map((t) => backend.typedArrayFromHeap(t) as Float32Array),
      backend.typedArrayFromHeap(out) as Float32Array,
    );
  } catch (err) {
    backend.disposeData(out.dataId);
    throw err;
  }
  return out;
}

export const roiAlignWasm: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const { x, rois } = inputs as { x: tf.TensorInfo; rois: tf.TensorInfo };
  checkFloat32('roiAlign', 'features', x);
  checkFloat32('roiAlign', 'rois', rois);
  const a = roiAlignAttrsOf(attrs);
  const numRois = rois.shape[0];
  const outShape = [numRois, a.pooledHeight, a.pooledWidth, x.shape[3]];
  return onHeap(backend as unknown as WasmBackendLike, outShape, [x, rois], ([xv, rv], out) => roiAlignForwardHost(xv, x.shape as Shape4, rv, numRois, a, out));
};

export const roiAlignGradWasm: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const { dy, rois } = inputs as { dy: tf.TensorInfo; rois: tf.TensorInfo };
  checkFloat32('roiAlign', 'rois', rois);
  const a = roiAlignAttrsOf(attrs);
  const inputShape = [...(attrs as unknown as RoiAlignGradAttrs).inputShape] as Shape4;
  return onHeap(backend as unknown as WasmBackendLike, inputShape, [dy, rois], ([dv, rv], dx) => roiAlignBackwardHost(dv, rv, rois.shape[0], a, inputShape, dx));
};
