import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { checkInterpolateCase, loadFixture } from '../ops/__tests__/anchors-masks-fixture.js';
import { ResizeExact, type ResizeExactAttrs } from './resize-exact-attrs.js';
import { caseInput, formulaValues, outputShapeOf, RESIZE_CASES, type ResizeCase } from './resize-exact-cases.js';
import { registerResizeKernels } from './resize-exact-register.js';

const run = (x: tf.Tensor, attrs: ResizeExactAttrs): tf.Tensor4D => tf.engine().runKernel(ResizeExact, { x }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;

interface Result {
  out: number[];
  grad: number[];
}

function runCase(c: ResizeCase): Result {
  const x = caseInput(c);
  const outShape = outputShapeOf(c);
  const dy = tf.tensor4d(formulaValues(outShape.reduce((a, b) => a * b, 1), 1.3), outShape);
  const before = tf.memory().numTensors;
  const out = run(x, c.attrs);
  const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(run(t, c.attrs), dy)))(x);
  const result = { out: Array.from(out.dataSync()), grad: Array.from(grad.dataSync()) };
  tf.dispose([out, grad]);
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([x, dy]);
  return result;
}

describe('TfvResizeExact on the wasm backend (host loop on the wasm heap)', () => {
  const cpu: Result[] = [];

  beforeAll(async () => {
    await initBackend({ backend: 'cpu', report: false });
    registerResizeKernels();
    for (const c of RESIZE_CASES) cpu.push(runCase(c));
    await initBackend({ backend: 'wasm', report: false, native: false });
    expect(tf.getBackend()).toBe('wasm');
  });

  it.each(RESIZE_CASES.map((c, i) => [c.name, c, i] as const))('%s: forward and gradient equal cpu bit for bit', (_, c, i) => {
    const wasm = runCase(c);
    expect(wasm.out).toEqual(cpu[i].out);
    expect(wasm.grad).toEqual(cpu[i].grad);
  });

  it('int32 nearest keeps its dtype on the heap', () => {
    const xi = tf.tensor4d([1, 2, 3], [1, 1, 3, 1], 'int32');
    const yi = run(xi, { outHeight: 1, outWidth: 7, mode: 'nearest', alignCorners: false, scaleH: 0, scaleW: 0 });
    expect(yi.dtype).toBe('int32');
    expect(Array.from(yi.dataSync())).toEqual([1, 1, 1, 2, 2, 3, 3]);
    tf.dispose([xi, yi]);
  });

  it.each(loadFixture().interpolate.filter((c) => !c.slowOnly).map((c) => [c.name, c] as const))('interpolate equals torch within 1e-5: %s', (_, c) => {
    checkInterpolateCase(c);
  });
});
