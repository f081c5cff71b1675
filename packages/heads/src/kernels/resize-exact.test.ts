import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { ResizeExact, ResizeExactGrad, type ResizeExactAttrs } from './resize-exact-attrs.js';
import { caseInput, formulaValues, outputShapeOf, RESIZE_CASES } from './resize-exact-cases.js';
import { resizeExactComposite, resizeExactGradComposite } from './resize-exact-composite.js';
import { registerResizeKernels } from './resize-exact-register.js';

const run = (x: tf.Tensor, attrs: ResizeExactAttrs): tf.Tensor4D => tf.engine().runKernel(ResizeExact, { x }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
  registerResizeKernels();
});

/** Σ out·dy in float64, the scalar whose gradient the tests take. */
function dot(out: ArrayLike<number>, dy: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < out.length; i++) s += out[i] * dy[i];
  return s;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe('TfvResizeExact on cpu (host loop)', () => {
  it.each(RESIZE_CASES.map((c) => [c.name, c] as const))('%s: equals the gather composite bit for bit', (_, c) => {
    const x = caseInput(c);
    const before = tf.memory().numTensors;
    const kernel = run(x, c.attrs);
    const composite = resizeExactComposite(x, c.attrs);
    expect(kernel.shape).toEqual(outputShapeOf(c));
    expect(Array.from(kernel.dataSync())).toEqual(Array.from(composite.dataSync()));
    tf.dispose([kernel, composite]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('bilinear by hand: [0, 1] -> 4 is [0, .25, .75, 1]; int32 nearest keeps its dtype', () => {
    const x = tf.tensor4d([0, 1], [1, 1, 2, 1]);
    const y = run(x, { outHeight: 1, outWidth: 4, mode: 'bilinear', alignCorners: false, scaleH: 0, scaleW: 0 });
    expect(Array.from(y.dataSync())).toEqual([0, 0.25, 0.75, 1]);
    const xi = tf.tensor4d([1, 2, 3], [1, 1, 3, 1], 'int32');
    const yi = run(xi, { outHeight: 2, outWidth: 7, mode: 'nearest', alignCorners: false, scaleH: 0, scaleW: 0 });
    expect(yi.dtype).toBe('int32');
    expect(Array.from(yi.dataSync())).toEqual([1, 1, 1, 2, 2, 3, 3, 1, 1, 1, 2, 2, 3, 3]);
    tf.dispose([x, y, xi, yi]);
  });

  it('rejects a bilinear int32 input naming the dtype', () => {
    const xi = tf.zeros([1, 2, 2, 1], 'int32');
    expect(() => run(xi, { outHeight: 3, outWidth: 3, mode: 'bilinear', alignCorners: false, scaleH: 0, scaleW: 0 })).toThrow('interpolate: bilinear needs a float32 tensor, got int32');
    xi.dispose();
  });
});

describe('TfvResizeExactGrad on cpu (scatter-add adjoint)', () => {
  it.each(RESIZE_CASES.map((c) => [c.name, c] as const))('%s: equals the composite\'s autodiff gradient, its adjoint composite and a finite difference', (_, c) => {
    const x = caseInput(c);
    const outShape = outputShapeOf(c);
    const dyValues = formulaValues(outShape.reduce((a, b) => a * b, 1), 1.3);
    const dy = tf.tensor4d(dyValues, outShape);
    const before = tf.memory().numTensors;
    const kernelGrad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(run(t, c.attrs), dy)))(x);
    const compositeGrad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(resizeExactComposite(t as tf.Tensor4D, c.attrs), dy)))(x);
    const g = kernelGrad.dataSync();
    expect(kernelGrad.shape).toEqual(c.inputShape);
    expect(maxAbsDiff(g, compositeGrad.dataSync())).toBeLessThan(1e-6);
    // The explicit adjoint composite the webgpu, webgl and tensorflow backends run.
    const adjoint = resizeExactGradComposite(dy, c.attrs, c.inputShape);
    expect(maxAbsDiff(g, adjoint.dataSync())).toBeLessThan(1e-6);
    tf.dispose([kernelGrad, compositeGrad, adjoint]);
    expect(tf.memory().numTensors).toBe(before);

    // Central differences of L(x) = Σ resize(x)·dy; L is linear, so h = 0.5 loses nothing but
    // the float32 rounding of the outputs.
    const xs = x.dataSync() as Float32Array;
    const h = 0.5;
    const lossAt = (i: number, delta: number): number => {
      const p = Float32Array.from(xs);
      p[i] += delta;
      const t = tf.tensor4d(p, c.inputShape);
      const y = run(t, c.attrs);
      const l = dot(y.dataSync(), dyValues);
      tf.dispose([t, y]);
      return l;
    };
    let worst = 0;
    for (let i = 0; i < xs.length; i++) worst = Math.max(worst, Math.abs((lossAt(i, h) - lossAt(i, -h)) / (2 * h) - g[i]));
    expect(worst).toBeLessThan(1e-5);
    tf.dispose([x, dy]);
  });

  it('a hand-computed adjoint: [0, 1] -> 4 taps send dy = [1, 2, 3, 4] to [1·1 + 2·.75 + 3·.25, 2·.25 + 3·.75 + 4]', () => {
    const attrs: ResizeExactAttrs = { outHeight: 1, outWidth: 4, mode: 'bilinear', alignCorners: false, scaleH: 0, scaleW: 0 };
    const dy = tf.tensor4d([1, 2, 3, 4], [1, 1, 4, 1]);
    const dx = tf.engine().runKernel(ResizeExactGrad, { dy }, { ...attrs, inputShape: [1, 1, 2, 1] }) as tf.Tensor;
    expect(Array.from(dx.dataSync())).toEqual([3.25, 6.75]);
    tf.dispose([dy, dx]);
  });

  it('the adjoint is differentiable: its gradient is the forward resize', () => {
    const c = RESIZE_CASES[0];
    const outShape = outputShapeOf(c);
    const dy = tf.tensor4d(formulaValues(outShape.reduce((a, b) => a * b, 1), 0.4), outShape);
    const v = caseInput(c, 2.1);
    const before = tf.memory().numTensors;
    const grad = tf.grad((d: tf.Tensor) => tf.sum(tf.mul(tf.engine().runKernel(ResizeExactGrad, { dy: d }, { ...c.attrs, inputShape: c.inputShape }) as tf.Tensor, v)))(dy);
    const forward = run(v, c.attrs);
    expect(maxAbsDiff(grad.dataSync(), forward.dataSync())).toBe(0);
    tf.dispose([grad, forward]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([dy, v]);
  });
});
