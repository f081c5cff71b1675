import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { MultiScaleRoIAlign, inferScale } from './multi-scale-roi-align.js';
import { roiAlign } from './roi-align.js';
import { decodeFloat32, readRoiAlignFixture, relativeError, type MultiScaleFixtureCase } from './roi-align-fixture.js';

const fixture = readRoiAlignFixture(join(__dirname, '..', '..', 'fixtures', 'roi-align.json'));

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

function inputs(c: MultiScaleFixtureCase) {
  const features: Record<string, tf.Tensor4D> = {};
  for (const [name, f] of Object.entries(c.features)) features[name] = tf.tensor4d(decodeFloat32(f.data), f.shape);
  const boxes = c.boxes.map((b) => tf.tensor2d(b, [b.length / 4, 4]));
  return { features, boxes };
}

function poolerFor(c: MultiScaleFixtureCase): MultiScaleRoIAlign {
  return new MultiScaleRoIAlign({ featmapNames: c.featureNames, outputSize: c.outputSize, samplingRatio: c.samplingRatio, levelMapper: c.mapper, aligned: c.aligned });
}

describe('MultiScaleRoIAlign against torchvision 0.14 (cpu)', () => {
  it.each(fixture.multiScale.map((c) => [c.name, c] as const))('%s: levels, forward and gradients', (_, c) => {
    const { features, boxes } = inputs(c);
    const dy = tf.tensor(decodeFloat32(c.dy), c.outputShape);
    const pooler = poolerFor(c);
    const before = tf.memory().numTensors;
    const out = pooler.forward(features, boxes, c.imageShapes);
    expect(pooler.scales).toEqual(c.scales);
    const rois = c.boxes.flatMap((b, image) => Array.from({ length: b.length / 4 }, (_, i) => [image, ...b.slice(4 * i, 4 * i + 4)])).flat();
    expect(Array.from(pooler.mapper?.levels(rois, 5) ?? [])).toEqual(c.levels);
    expect(out.shape).toEqual(c.outputShape);
    expect(relativeError(out.dataSync(), decodeFloat32(c.output))).toBeLessThan(1e-5);
    const names = c.featureNames;
    const grads = tf.grads((...fs: tf.Tensor[]) => {
      const record = Object.fromEntries(names.map((n, i) => [n, fs[i] as tf.Tensor4D]));
      return tf.sum(tf.mul(pooler.forward(record, boxes, c.imageShapes), dy));
    })(names.map((n) => features[n]));
    names.forEach((n, i) => expect(relativeError(grads[i].dataSync(), decodeFloat32(c.grads[n]))).toBeLessThan(1e-5));
    tf.dispose([out, ...grads]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('puts an inverted box (no level) on a zero row, and pools a single map without the mapper', () => {
    const c = fixture.multiScale[0];
    const { features, boxes } = inputs(c);
    const out = poolerFor(c).forward(features, boxes, c.imageShapes);
    const row = c.levels.indexOf(-1);
    const size = c.outputShape.slice(1).reduce((p, q) => p * q, 1);
    expect(Array.from(out.dataSync().subarray(row * size, (row + 1) * size))).toEqual(new Array(size).fill(0));
    // One level: torchvision calls roi_align on every box (an inverted box widened to 1 is not zero).
    const single = new MultiScaleRoIAlign({ featmapNames: ['1'], outputSize: 2, samplingRatio: 2 });
    const y = single.forward(features, boxes, c.imageShapes);
    expect(single.scales).toEqual([0.125]);
    const direct = roiAlign(features['1'], boxes, { outputSize: 2, spatialScale: 0.125, samplingRatio: 2 });
    expect(Array.from(y.dataSync())).toEqual(Array.from(direct.dataSync()));
  });

  it('keeps only the RoI table for the backward pass, not one pooled block per level', () => {
    const c = fixture.multiScale[0];
    const { features, boxes } = inputs(c);
    const pooler = poolerFor(c);
    const names = c.featureNames;
    const outBytes = c.outputShape.reduce((p, q) => p * q, 1) * 4;
    let heldByTape = Number.NaN;
    const grads = tf.grads((...fs: tf.Tensor[]) => {
      const before = tf.memory().numBytes;
      const out = pooler.forward(Object.fromEntries(names.map((n, i) => [n, fs[i] as tf.Tensor4D])), boxes, c.imageShapes);
      // What is alive now beyond the output: the tape's saved tensors (and the table's bytes).
      heldByTape = tf.memory().numBytes - before - outBytes;
      return tf.sum(out);
    })(names.map((n) => features[n]));
    const tableBytes = boxes.reduce((n, b) => n + b.shape[0], 0) * 5 * 4;
    expect(names.length).toBeGreaterThan(1);
    expect(heldByTape).toBeLessThanOrEqual(tableBytes);
    tf.dispose(grads);
  });
  it('handles no boxes at all', () => {
    const c = fixture.multiScale[0];
    const { features } = inputs(c);
    const empty = [tf.zeros([0, 4]) as tf.Tensor2D, tf.zeros([0, 4]) as tf.Tensor2D];
    const before = tf.memory().numTensors;
    const out = poolerFor(c).forward(features, empty, c.imageShapes);
    expect(out.shape).toEqual([0, 7, 7, 2]);
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('MultiScaleRoIAlign scales and checks', () => {
  it('infers 2^round(log2(featureH / imageH)) from the height only', () => {
    expect([inferScale(200, 800), inferScale(100, 800), inferScale(25, 800), inferScale(13, 800), inferScale(50, 801)]).toEqual([0.25, 0.125, 0.03125, 0.015625, 0.0625]);
  });

  it('names a missing feature map and rejects bad options', () => {
    const pooler = new MultiScaleRoIAlign({ featmapNames: ['p2', 'p3'], outputSize: 7, samplingRatio: 2 });
    const features = { p2: tf.zeros([1, 8, 8, 1]) as tf.Tensor4D, p4: tf.zeros([1, 2, 2, 1]) as tf.Tensor4D };
    expect(() => pooler.forward(features, [tf.zeros([0, 4]) as tf.Tensor2D], [[32, 32]])).toThrow('MultiScaleRoIAlign: feature "p3" is missing from the features (have: p2, p4)');
    expect(() => new MultiScaleRoIAlign({ featmapNames: ['0'], outputSize: 7, samplingRatio: -1 })).toThrow('MultiScaleRoIAlign: samplingRatio must be an integer >= 0 (0 = adaptive), got -1');
    expect(() => new MultiScaleRoIAlign({ featmapNames: [], outputSize: 7, samplingRatio: 2 })).toThrow('MultiScaleRoIAlign: featmapNames must name at least one feature map, got []');
    expect(() => new MultiScaleRoIAlign({ featmapNames: ['0', '1'], outputSize: 7, samplingRatio: 2, scales: [0.25] })).toThrow('MultiScaleRoIAlign: scales must give one positive scale per feature map (2), got [0.25]');
    const ok = new MultiScaleRoIAlign({ featmapNames: ['p2'], outputSize: 7, samplingRatio: 2 });
    expect(() => ok.forward({ p2: features.p2 }, [tf.zeros([2, 5]) as tf.Tensor2D], [[32, 32]])).toThrow('MultiScaleRoIAlign: boxes[0] must be [N, 4] (x1, y1, x2, y2), got shape [2, 5]');
    expect(() => ok.forward({ p2: features.p2 }, [], [])).toThrow('MultiScaleRoIAlign: imageShapes must list at least one (height, width), got []');
  });
});
