import * as tf from '@tensorflow/tfjs-core';
import { replaceKernel } from './composite.js';

/** What the kernel needs of tfjs-backend-wasm's backend: its per-dataId reference count. */
interface RefCountingBackend {
  incRef(dataId: tf.DataId): void;
}

/**
 * tfjs-backend-wasm's Identity copies its input. The engine clones (runs Identity on) every
 * tensor a kernel saves for its gradient while a tape records, so each saved activation was held
 * twice and copied: ~14% of a resnest50d Mask R-CNN training step at 256 px, and the memory
 * that kept 800x1088 training from fitting the 4 GB wasm heap. Tensors are immutable and the
 * backend counts references per dataId (its Reshape shares data this way), so the clone shares
 * the data instead, as the cpu backend's Identity does. Strings keep the copying kernel.
 */
export function registerWasmIdentity(): void {
  const previous = tf.getKernel(tf.Identity, 'wasm')?.kernelFunc;
  if (!previous) return;
  replaceKernel(tf.Identity, 'wasm', (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string') return previous(args);
    (args.backend as unknown as RefCountingBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  });
}
