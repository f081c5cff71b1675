import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { Detectron2AnchorGenerator, detectron2CellAnchors } from './anchors.js';
import { pasteMasksDetectron2 } from './paste-masks.js';
import { resizeShortestEdgeSize } from './resize-shortest-edge.js';
import { subsampleLabels } from './subsample-labels.js';
import { fastRcnnInferenceHost } from './fast-rcnn-inference.js';
import { scaleGradient } from './scale-gradient.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

describe('resizeShortestEdgeSize', () => {
  it('rounds half up as int(v + 0.5) and caps the long side', () => {
    expect(resizeShortestEdgeSize(100, 140, 128, 200)).toEqual([128, 179]); // 179.2
    expect(resizeShortestEdgeSize(120, 90, 128, 200)).toEqual([171, 128]); // 170.67
    expect(resizeShortestEdgeSize(480, 640, 800, 1333)).toEqual([800, 1067]); // 1066.67
    expect(resizeShortestEdgeSize(100, 300, 800, 1333)).toEqual([444, 1333]); // capped: 444.33
    expect(() => resizeShortestEdgeSize(0, 3, 800, 1333)).toThrow('resizeShortestEdgeSize: height must be a positive integer, got 0');
  });
});

describe('Detectron2AnchorGenerator', () => {
  it('keeps the unrounded cell anchors and shifts by the declared stride from offset 0', () => {
    const cell = detectron2CellAnchors([32], [0.5, 1, 2]);
    const w = Math.sqrt(1024 / 0.5);
    expect(Array.from(cell.slice(0, 4))).toEqual([-w / 2, -w / 4, w / 2, w / 4].map(Math.fround));
    expect(Array.from(cell.slice(4, 8))).toEqual([-16, -16, 16, 16]);
    const g = new Detectron2AnchorGenerator({ sizes: [[32], [64]], strides: [4, 8] });
    const a = g.anchorsHost([
      [2, 3],
      [1, 1],
    ]);
    expect(a.length).toBe(4 * (2 * 3 * 3 + 3));
    // Level 0, y 1, x 2, ratio 1: shift (8, 4).
    const row = (1 * 3 + 2) * 3 + 1;
    expect(Array.from(a.slice(4 * row, 4 * row + 4))).toEqual([8 - 16, 4 - 16, 8 + 16, 4 + 16]);
    expect(() => new Detectron2AnchorGenerator({ offset: 1 })).toThrow('Detectron2AnchorGenerator: offset must be in [0, 1), got 1');
  });
});

describe('subsampleLabels', () => {
  it('takes positives then negatives in permutation order, int(n * fraction) positives at most', () => {
    const labels = [3, 80, -1, 5, 80, 80, 7];
    const perms = [[2, 0, 1], [1, 0, 2]];
    const out = subsampleLabels(labels, 4, 0.5, 80, (n) => {
      const p = perms.shift() as number[];
      expect(p.length).toBe(n);
      return p;
    });
    expect(Array.from(out.positive)).toEqual([6, 0]);
    expect(Array.from(out.negative)).toEqual([4, 1]);
  });
});

describe('fastRcnnInferenceHost', () => {
  it('drops the last (background) column, clips, thresholds strictly and keeps row-major order into NMS', () => {
    const boxes = Float32Array.from([-5, 0, 10, 10, 0, 0, 10, 10]);
    const scores = Float32Array.from([0.3, 0.05, 0.65, 0.2, 0.6, 0.2]);
    const d = fastRcnnInferenceHost(boxes, scores, 3, [8, 8], { scoreThresh: 0.05, nmsThresh: 0.5, topK: 10 });
    expect(Array.from(d.labels)).toEqual([1, 0]);
    expect(Array.from(d.scores)).toEqual([Math.fround(0.6), Math.fround(0.3)]);
    expect(Array.from(d.boxes)).toEqual([0, 0, 8, 8, 0, 0, 8, 8]);
  });
});

describe('pasteMasksDetectron2', () => {
  it('samples the mask at pixel centres over the box and leaves pixels beyond the widened box at 0', () => {
    const masks = tf.ones([1, 4, 4]) as tf.Tensor3D;
    // Mask cells of 4 pixels: pixel centre x + 0.5 is mask coordinate (x + 0.5 - 2) / 4 - 0.5.
    const boxes = tf.tensor2d([[2, 2, 18, 18]]);
    const before = tf.memory().numTensors;
    const out = pasteMasksDetectron2(masks, boxes, 20, 20);
    const v = out.arraySync()[0];
    expect(v[8][8]).toBe(1);
    // Pixel 1: coordinate -0.625, 0.375 of cell 0 (zero padding beyond it).
    expect(v[8][1]).toBeCloseTo(0.375, 6);
    // Pixel 0 would sample 0.125 but lies outside floor(x1) - 1 = 1: skip_empty leaves it 0.
    expect(v[8][0]).toBe(0);
    expect(v[0][8]).toBe(0);
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([masks, boxes]);
  });
});

describe('scaleGradient', () => {
  it('is the identity forward and scales the gradient', () => {
    const x = tf.tensor1d([1, 2]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(scaleGradient(t, 1 / 3), 6)))(x);
    expect(Array.from(g.dataSync())).toEqual([2, 2]);
    tf.dispose([x, g]);
  });
});
