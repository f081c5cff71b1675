/**
 * Times the R-CNN transform's largest resize, 427x640x3 -> 799x1199 (bilinear, in/out ratio),
 * on cpu and wasm: the gather composite (what interpolate ran before the kernel) against the
 * TfvResizeExact host loop, forward and gradient; the two must agree bit for bit forward. The
 * composite's autodiff gradient is not timed: it is tfjs' gather gradient, unsortedSegmentSum,
 * which tfjs-cpu runs as one full pass per input row (517 s for 107x160 -> 200x300 on a loaded
 * 2-core machine) and tfjs-backend-wasm lacks. Prints one JSON line per backend. Run: TFVISION_SLOW=1 jest resize-exact-timing.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { ResizeExact, type ResizeExactAttrs } from './resize-exact-attrs.js';
import { formulaValues } from './resize-exact-cases.js';
import { resizeExactComposite } from './resize-exact-composite.js';
import { registerResizeKernels } from './resize-exact-register.js';

const SHAPE: [number, number, number, number] = [1, 427, 640, 3];
const ATTRS: ResizeExactAttrs = { outHeight: 799, outWidth: 1199, mode: 'bilinear', alignCorners: false, scaleH: 0, scaleW: 0 };

function timed<T extends tf.Tensor>(body: () => T): { ms: number; values: Float32Array } {
  const t0 = performance.now();
  const y = body();
  const values = y.dataSync() as Float32Array;
  const ms = performance.now() - t0;
  y.dispose();
  return { ms, values };
}

describe.each(['cpu', 'wasm'] as const)('427x640x3 -> 799x1199 on %s', (backend) => {
  it('the kernel equals the composite and is timed against it', async () => {
    await initBackend({ backend, report: false, native: false });
    registerResizeKernels();
    const x = tf.tensor4d(formulaValues(SHAPE.reduce((a, b) => a * b, 1)), SHAPE);
    const dy = tf.tensor4d(formulaValues(799 * 1199 * 3, 0.7), [1, 799, 1199, 3]);
    const before = tf.memory().numTensors;
    const kernel = timed(() => tf.engine().runKernel(ResizeExact, { x }, ATTRS as unknown as tf.NamedAttrMap) as tf.Tensor);
    const kernelAgain = timed(() => tf.engine().runKernel(ResizeExact, { x }, ATTRS as unknown as tf.NamedAttrMap) as tf.Tensor);
    const composite = timed(() => resizeExactComposite(x, ATTRS));
    expect(kernel.values.length).toBe(composite.values.length);
    let same = true;
    for (let i = 0; i < kernel.values.length && same; i++) same = kernel.values[i] === composite.values[i];
    expect(same).toBe(true);
    // dy seeds the gradient directly: a loss like sum(y·dy) would time tfjs-cpu's broadcasting mul (8 s here), not the kernel.
    const run = (t: tf.Tensor) => tf.engine().runKernel(ResizeExact, { x: t }, ATTRS as unknown as tf.NamedAttrMap) as tf.Tensor;
    const kernelGrad = timed(() => tf.grad(run)(x, dy));
    expect(kernelGrad.values.length).toBe(427 * 640 * 3);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, dy]);
    console.log(JSON.stringify({
      backend, case: '427x640x3->799x1199 bilinear',
      compositeForwardMs: Math.round(composite.ms), kernelForwardMs: Math.round(kernel.ms), kernelForwardWarmMs: Math.round(kernelAgain.ms),
      kernelGradMs: Math.round(kernelGrad.ms),
    }));
  }, 600_000);
});
