import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { roiAlign, boxesToRois } from './roi-align.js';
import { caseFeatures, caseRois, decodeFloat32, readRoiAlignFixture, relativeError } from './roi-align-fixture.js';

const fixture = readRoiAlignFixture(join(__dirname, '..', '..', 'fixtures', 'roi-align.json'));

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

describe('roiAlign against torchvision 0.14 (cpu)', () => {
  it.each(fixture.roiAlign.map((c) => [c.name, c] as const))('%s: forward and gradient', (_, c) => {
    const x = caseFeatures(c);
    const rois = caseRois(c);
    const dy = tf.tensor(decodeFloat32(c.dy), c.outputShape);
    const before = tf.memory().numTensors;
    const options = { outputSize: c.outputSize, spatialScale: c.spatialScale, samplingRatio: c.samplingRatio, aligned: c.aligned };
    const out = roiAlign(x, rois, options);
    const grad = tf.grad((f: tf.Tensor) => tf.sum(tf.mul(roiAlign(f as tf.Tensor4D, rois, options), dy)))(x);
    expect(out.shape).toEqual(c.outputShape);
    expect(relativeError(out.dataSync(), decodeFloat32(c.output))).toBeLessThan(1e-5);
    expect(relativeError(grad.dataSync(), decodeFloat32(c.grad))).toBeLessThan(1e-5);
    tf.dispose([out, grad]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, rois, dy]);
  });
});

describe('roiAlign by hand', () => {
  // A ramp x[y][x] = 10y + x is linear, so a bin's average is the ramp at its samples' mean.
  const ramp = () => tf.tensor4d(Array.from({ length: 20 }, (_, i) => 10 * Math.floor(i / 5) + (i % 5)), [1, 4, 5, 1]);

  it('averages a linear map to its value at the bin centre', () => {
    const x = ramp();
    // Box (1,1)-(3,3), one bin, 2x2 samples at 1.5 and 2.5: mean (2, 2) -> 22.
    const one = roiAlign(x, tf.tensor2d([[0, 1, 1, 3, 3]]), { outputSize: 1, samplingRatio: 2 });
    expect(Array.from(one.dataSync())).toEqual([22]);
    // aligned shifts by -0.5: the same box samples at 1 and 2 -> mean 1.5 -> 16.5.
    const shifted = roiAlign(x, tf.tensor2d([[0, 1, 1, 3, 3]]), { outputSize: 1, samplingRatio: 2, aligned: true });
    expect(shifted.dataSync()[0]).toBeCloseTo(16.5, 5);
    // 2x2 bins of the box (0,0)-(4,2) at scale 1, one sample each at bin centres (1, 0.5), (3, 0.5), (1, 1.5), (3, 1.5).
    const bins = roiAlign(x, tf.tensor2d([[0, 0, 0, 4, 2]]), { outputSize: 2, samplingRatio: 1 });
    expect(Array.from(bins.dataSync())).toEqual([6, 8, 16, 18]);
    tf.dispose([x, one, shifted, bins]);
  });

  it('gives 0 for a box fully outside but counts outside samples in a partly outside one', () => {
    const x = tf.ones([1, 4, 5, 1]) as tf.Tensor4D;
    const out = roiAlign(x, tf.tensor2d([[0, 20, 20, 24, 24], [0, -3, 0, 1, 4]]), { outputSize: 1, samplingRatio: 2 });
    // Second box: x samples at -2 (outside, < -1) and 0 (inside): half the samples count as 0.
    expect(Array.from(out.dataSync())).toEqual([0, 0.5]);
    tf.dispose([x, out]);
  });

  it('takes boxes per image as torchvision does (batch index = list position)', () => {
    const x = tf.tensor4d(Array.from({ length: 2 * 4 * 5 * 3 }, (_, i) => Math.sin(i)), [2, 4, 5, 3]);
    const boxes = [tf.tensor2d([[0.5, 0.5, 3.2, 2.9]]), tf.tensor2d([[1, 0, 4, 3], [0, 1, 2, 2]])];
    const rois = boxesToRois(boxes);
    expect(Array.from(rois.dataSync())).toEqual([0, 0.5, 0.5, 3.2, 2.9, 1, 1, 0, 4, 3, 1, 0, 1, 2, 2].map(Math.fround));
    const a = roiAlign(x, boxes, { outputSize: 2, samplingRatio: 2 });
    const b = roiAlign(x, rois, { outputSize: 2, samplingRatio: 2 });
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([x, ...boxes, rois, a, b]);
  });

  it('has the finite-difference gradient (the op is linear in the features)', () => {
    const shape: [number, number, number, number] = [1, 4, 5, 2];
    const values = Array.from({ length: 40 }, (_, i) => Math.cos(i * 1.7));
    const x = tf.tensor4d(values, shape);
    const rois = tf.tensor2d([[0, 0.3, -0.6, 3.9, 2.2], [0, 1.7, 1.1, 5.4, 4.6]]);
    const options = { outputSize: [2, 3] as [number, number], samplingRatio: 0, aligned: true };
    const dy = tf.tensor4d(Array.from({ length: 2 * 2 * 3 * 2 }, (_, i) => Math.sin(i + 0.3)), [2, 2, 3, 2]);
    const loss = (v: number[]) => tf.tidy(() => tf.sum(tf.mul(roiAlign(tf.tensor4d(v, shape), rois, options), dy)).dataSync()[0]);
    const grad = tf.grad((f: tf.Tensor) => tf.sum(tf.mul(roiAlign(f as tf.Tensor4D, rois, options), dy)))(x).dataSync();
    const eps = 0.25;
    values.forEach((v, i) => {
      const up = values.slice();
      const down = values.slice();
      up[i] = v + eps;
      down[i] = v - eps;
      expect(Math.abs((loss(up) - loss(down)) / (2 * eps) - grad[i])).toBeLessThan(1e-5);
    });
    expect(grad.some((g) => g !== 0)).toBe(true);
    tf.dispose([x, rois, dy]);
  });
});

describe('roiAlign select (one FPN level of a shared RoI table)', () => {
  it('pools only the selected RoIs, zero elsewhere, and the levels sum to pooling all', () => {
    const x = tf.tensor4d(Array.from({ length: 2 * 6 * 7 * 3 }, (_, i) => Math.sin(i * 0.37)), [2, 6, 7, 3]);
    const rois = tf.tensor2d([[0, 0.5, 1, 5, 4], [1, 2, 0.5, 6.5, 5.5], [0, -1, -1, 3, 2], [1, 3, 3, 4, 4]]);
    const options = { outputSize: 2, samplingRatio: 2 };
    const roiLevels = [1, 0, 1, -1];
    const all = roiAlign(x, rois, options).arraySync() as number[][][][];
    const level1 = roiAlign(x, rois, { ...options, select: { roiLevels, level: 1 } }).arraySync() as number[][][][];
    const zero = [[[0, 0, 0], [0, 0, 0]], [[0, 0, 0], [0, 0, 0]]];
    expect(level1).toEqual([all[0], zero, all[2], zero]);
    const dy = tf.ones([4, 2, 2, 3]);
    const grad = (level: number) => tf.grad((f: tf.Tensor) => tf.sum(tf.mul(roiAlign(f as tf.Tensor4D, rois, { ...options, select: { roiLevels, level } }), dy)))(x);
    const full = tf.grad((f: tf.Tensor) => tf.sum(tf.mul(roiAlign(f as tf.Tensor4D, tf.gather(rois, [0, 1, 2]) as tf.Tensor2D, options), tf.ones([3, 2, 2, 3]))))(x);
    expect(relativeError(tf.add(grad(0), grad(1)).dataSync(), full.dataSync())).toBeLessThan(1e-6);
    expect(() => roiAlign(x, rois, { ...options, select: { roiLevels: [0, 1], level: 0 } })).toThrow('roiAlign: select.roiLevels must have one level per RoI (4), got 2');
  });
});

describe('roiAlign input checks', () => {
  const x = () => tf.zeros([2, 4, 4, 1]) as tf.Tensor4D;
  it.each([
    [{ outputSize: 2, samplingRatio: -1 }, 'roiAlign: samplingRatio must be an integer >= 0 (0 = adaptive), got -1'],
    [{ outputSize: 2, samplingRatio: 1.5 }, 'roiAlign: samplingRatio must be an integer >= 0 (0 = adaptive), got 1.5'],
    [{ outputSize: 0 }, 'roiAlign: outputSize must be a positive integer or two of them, got 0'],
    [{ outputSize: [7, 2.5] as [number, number] }, 'roiAlign: outputSize must be a positive integer or two of them, got [7,2.5]'],
    [{ outputSize: 2, spatialScale: 0 }, 'roiAlign: spatialScale must be a finite number > 0, got 0'],
  ])('rejects %j', (options, message) => {
    expect(() => roiAlign(x(), tf.zeros([1, 5]) as tf.Tensor2D, options)).toThrow(message);
  });

  it('rejects rois and boxes of the wrong shape, and a batch index outside the batch', () => {
    expect(() => roiAlign(x(), tf.zeros([3, 4]) as tf.Tensor2D, { outputSize: 2 })).toThrow('roiAlign: rois must be [K, 5] (batch index, x1, y1, x2, y2), got shape [3, 4]');
    expect(() => roiAlign(x(), [tf.zeros([2, 4]) as tf.Tensor2D, tf.zeros([1, 5]) as tf.Tensor2D], { outputSize: 2 })).toThrow('roiAlign: boxes[1] must be [N, 4] (x1, y1, x2, y2), got shape [1, 5]');
    expect(() => roiAlign(tf.zeros([4, 4, 1]) as unknown as tf.Tensor4D, tf.zeros([1, 5]) as tf.Tensor2D, { outputSize: 2 })).toThrow('roiAlign: features must be a 4-D NHWC tensor, got shape [4, 4, 1]');
    const before = tf.memory().numTensors;
    const f = x();
    const bad = tf.tensor2d([[0, 0, 0, 1, 1], [2, 0, 0, 1, 1]]);
    expect(() => roiAlign(f, bad, { outputSize: 2 })).toThrow('roiAlign: rois[1][0] must be a batch index in [0, 2), got 2');
    tf.dispose([f, bad]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('returns [0, outH, outW, C] for no RoIs, and a zero gradient', () => {
    const f = tf.ones([1, 3, 3, 2]) as tf.Tensor4D;
    const none = tf.zeros([0, 5]) as tf.Tensor2D;
    expect(roiAlign(f, none, { outputSize: [2, 3] }).shape).toEqual([0, 2, 3, 2]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(roiAlign(v as tf.Tensor4D, none, { outputSize: 2 })))(f);
    expect(Array.from(g.dataSync())).toEqual(new Array(18).fill(0));
  });
});
