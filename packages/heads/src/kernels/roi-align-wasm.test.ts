import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { MultiScaleRoIAlign } from '../ops/multi-scale-roi-align.js';
import { roiAlign } from '../ops/roi-align.js';
import { caseFeatures, caseRois, decodeFloat32, readRoiAlignFixture, relativeError } from '../ops/roi-align-fixture.js';

const fixture = readRoiAlignFixture(join(__dirname, '..', '..', 'fixtures', 'roi-align.json'));

interface Result {
  out: Float32Array;
  grad: Float32Array;
}

function runCase(c: (typeof fixture.roiAlign)[number]): Result {
  const x = caseFeatures(c);
  const rois = caseRois(c);
  const dy = tf.tensor(decodeFloat32(c.dy), c.outputShape);
  const options = { outputSize: c.outputSize, spatialScale: c.spatialScale, samplingRatio: c.samplingRatio, aligned: c.aligned };
  const before = tf.memory().numTensors;
  const out = roiAlign(x, rois, options);
  const grad = tf.grad((f: tf.Tensor) => tf.sum(tf.mul(roiAlign(f as tf.Tensor4D, rois, options), dy)))(x);
  const result = { out: out.dataSync() as Float32Array, grad: grad.dataSync() as Float32Array };
  tf.dispose([out, grad]);
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([x, rois, dy]);
  return result;
}

function runMultiScale(c: (typeof fixture.multiScale)[number]): Result {
  const features = Object.fromEntries(Object.entries(c.features).map(([n, f]) => [n, tf.tensor4d(decodeFloat32(f.data), f.shape)]));
  const boxes = c.boxes.map((b) => tf.tensor2d(b, [b.length / 4, 4]));
  const dy = tf.tensor(decodeFloat32(c.dy), c.outputShape);
  const pooler = new MultiScaleRoIAlign({ featmapNames: c.featureNames, outputSize: c.outputSize, samplingRatio: c.samplingRatio, levelMapper: c.mapper, aligned: c.aligned });
  const before = tf.memory().numTensors;
  const out = pooler.forward(features, boxes, c.imageShapes);
  const grads = tf.grads((...fs: tf.Tensor[]) => tf.sum(tf.mul(pooler.forward(Object.fromEntries(c.featureNames.map((n, i) => [n, fs[i] as tf.Tensor4D])), boxes, c.imageShapes), dy)))(c.featureNames.map((n) => features[n]));
  const grad = new Float32Array(grads.reduce((n, g) => n + g.size, 0));
  let at = 0;
  for (const g of grads) {
    grad.set(g.dataSync(), at);
    at += g.size;
  }
  const result = { out: out.dataSync() as Float32Array, grad };
  tf.dispose([out, ...grads]);
  expect(tf.memory().numTensors).toBe(before);
  return result;
}

describe('roiAlign on the wasm backend (host loop on the wasm heap)', () => {
  const cpu: Result[] = [];
  const cpuMulti: Result[] = [];

  beforeAll(async () => {
    await initBackend({ backend: 'cpu', report: false });
    for (const c of fixture.roiAlign) cpu.push(runCase(c));
    for (const c of fixture.multiScale) cpuMulti.push(runMultiScale(c));
    await initBackend({ backend: 'wasm', report: false, native: false });
    expect(tf.getBackend()).toBe('wasm');
  });

  it.each(fixture.roiAlign.map((c, i) => [c.name, c, i] as const))('%s: equals cpu and torchvision', (_, c, i) => {
    const wasm = runCase(c);
    expect(Array.from(wasm.out)).toEqual(Array.from(cpu[i].out));
    expect(Array.from(wasm.grad)).toEqual(Array.from(cpu[i].grad));
    expect(relativeError(wasm.out, decodeFloat32(c.output))).toBeLessThan(1e-5);
    expect(relativeError(wasm.grad, decodeFloat32(c.grad))).toBeLessThan(1e-5);
  });

  it.each(fixture.multiScale.map((c, i) => [c.name, c, i] as const))('MultiScaleRoIAlign %s: equals cpu', (_, c, i) => {
    const wasm = runMultiScale(c);
    expect(Array.from(wasm.out)).toEqual(Array.from(cpuMulti[i].out));
    expect(Array.from(wasm.grad)).toEqual(Array.from(cpuMulti[i].grad));
  });

  it('frees its output when a RoI names an image outside the batch', () => {
    const x = tf.zeros([1, 4, 4, 2]) as tf.Tensor4D;
    const rois = tf.tensor2d([[1, 0, 0, 2, 2]]);
    const before = tf.memory().numTensors;
    expect(() => roiAlign(x, rois, { outputSize: 2 })).toThrow('roiAlign: rois[0][0] must be a batch index in [0, 1), got 1');
    expect(tf.memory().numTensors).toBe(before);
  });
});
