import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { nms, nmsIndices, suppressDense, suppressInOrder } from './nms.js';
import { comparatorOrder, stableDescendingOrder } from './score-order.js';
import { SeededRng } from './seeded-rng.js';
import { loadBoxOpsFixture } from './__tests__/box-fixture.js';
import { checkNms } from './__tests__/box-checks.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

const fixture = loadBoxOpsFixture();

describe('nms against torchvision 0.14', () => {
  it('keep lists equal the fixture: clustered boxes with tied scores at six thresholds, edge boxes, empty, single', () => {
    checkNms(fixture.nms);
  });
});

describe('nms by hand', () => {
  const boxes = new Float32Array([0, 0, 10, 10, 1, 1, 11, 11, 20, 20, 30, 30]);
  const scores = new Float32Array([0.9, 0.8, 0.85]);

  it('drops a box whose IoU (81/119) exceeds the threshold and keeps score order', () => {
    expect(Array.from(nmsIndices(boxes, scores, 0.5))).toEqual([0, 2]);
    expect(Array.from(nmsIndices(boxes, scores, 0.7))).toEqual([0, 2, 1]);
  });

  it('on tied scores the lower index comes first and wins', () => {
    const same = new Float32Array([0, 0, 1, 1, 0, 0, 1, 1, 5, 5, 6, 6]);
    expect(Array.from(nmsIndices(same, new Float32Array([0.5, 0.5, 0.5]), 0.5))).toEqual([0, 2]);
  });

  it('IoU float32(0.3) > 0.3 in double: suppressed at threshold 0.3, as in the C++ kernel', () => {
    // inter 3, union 10: 3/10 in float32 is 0.30000001.
    expect(Array.from(nmsIndices(new Float32Array([0, 0, 10, 1, 0, 0, 3, 1]), new Float32Array([0.9, 0.8]), 0.3))).toEqual([0]);
  });

  it('a negative threshold suppresses disjoint boxes too (IoU 0 > -0.1), but not NaN IoUs of zero-area duplicates', () => {
    expect(Array.from(nmsIndices(boxes, scores, -0.1))).toEqual([0]);
    const points = new Float32Array([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(Array.from(nmsIndices(points, new Float32Array([0.9, 0.8]), -0.1))).toEqual([0, 1]);
  });

  it('tensor form returns int32 [K]', () => {
    const keep = nms(tf.tensor2d(boxes, [3, 4]), tf.tensor1d(scores), 0.5);
    expect(keep.dtype).toBe('int32');
    expect(Array.from(keep.dataSync())).toEqual([0, 2]);
  });
});

describe('run splitting', () => {
  it('splitting into runs of overlapping x-intervals keeps exactly the dense double loop\'s list', () => {
    const rng = new SeededRng(21);
    for (let t = 0; t < 30; t++) {
      const n = 40 + rng.nextInt(400);
      const boxes = new Float32Array(4 * n);
      for (let i = 0; i < n; i++) {
        const x = rng.next() * 2000 - 100;
        const y = rng.next() * 300 - 20;
        const w = rng.next() < 0.05 ? -rng.next() * 10 : rng.next() < 0.05 ? 0 : 1 + rng.next() * 80;
        boxes.set([x, y, x + w, y + 1 + rng.next() * 80], 4 * i);
      }
      const scores = Float32Array.from({ length: n }, () => Math.floor(rng.next() * 10) / 10);
      const order = stableDescendingOrder(scores);
      for (const thr of [0, 0.3, 0.7]) expect(Array.from(suppressInOrder(boxes, order, thr))).toEqual(Array.from(suppressDense(boxes, order, thr)));
    }
  });
});

describe('maxKeep', () => {
  it('stopping once maxKeep boxes are kept gives the first maxKeep of the full list, dense and split into runs', () => {
    const rng = new SeededRng(5);
    for (let t = 0; t < 20; t++) {
      const n = 60 + rng.nextInt(500);
      // t even: one crowded image (a single run); t odd: boxes spread along x (many runs).
      const span = t % 2 === 0 ? 90 : 3000;
      const boxes = new Float32Array(4 * n);
      for (let i = 0; i < n; i++) {
        const x = rng.next() * span;
        const y = rng.next() * 60;
        boxes.set([x, y, x + 4 + rng.next() * 40, y + 4 + rng.next() * 40], 4 * i);
      }
      const scores = Float32Array.from({ length: n }, () => Math.floor(rng.next() * 50) / 50);
      for (const thr of [0.3, 0.7]) {
        const full = Array.from(nmsIndices(boxes, scores, thr));
        for (const k of [0, 1, 7, 60, full.length, full.length + 5]) expect(Array.from(nmsIndices(boxes, scores, thr, k))).toEqual(full.slice(0, k));
      }
    }
  });

  it('names a bad maxKeep', () => {
    expect(() => nmsIndices(new Float32Array(4), new Float32Array(1), 0.5, -1)).toThrow('nms: maxKeep must be a whole number >= 0 or Infinity, got -1');
    expect(() => nmsIndices(new Float32Array(4), new Float32Array(1), 0.5, 2.5)).toThrow('got 2.5');
  });
});

describe('stableDescendingOrder', () => {
  it('orders NaN first, ties by index, -0 tied with +0, negatives last', () => {
    const s = new Float32Array([0.5, NaN, -0, 0, -1, 0.5, Infinity, -Infinity]);
    expect(Array.from(stableDescendingOrder(s))).toEqual([1, 6, 0, 5, 2, 3, 4, 7]);
    expect(Array.from(comparatorOrder(s))).toEqual([1, 6, 0, 5, 2, 3, 4, 7]);
  });

  it('orders a subset by its own positions', () => {
    const s = new Float32Array([0.1, 0.7, 0.7, 0.3, 0.7]);
    expect(Array.from(stableDescendingOrder(s, new Int32Array([0, 2, 3, 4])))).toEqual([2, 4, 3, 0]);
  });

  it('the packed-key sort equals a comparator sort on 5000 tie-heavy scores', () => {
    const rng = new SeededRng(3);
    const s = Float32Array.from({ length: 5000 }, () => Math.floor(rng.next() * 40) / 40 - 0.5);
    expect(Array.from(stableDescendingOrder(s))).toEqual(Array.from(comparatorOrder(s)));
  });
});

describe('input checks', () => {
  it('names the op, the argument and the bad value', () => {
    expect(() => nms(tf.zeros([2, 4]) as tf.Tensor2D, tf.zeros([2]) as tf.Tensor1D, NaN)).toThrow('nms: iouThreshold must be a number, got NaN');
    expect(() => nms(tf.zeros([2, 5]) as tf.Tensor2D, tf.zeros([2]) as tf.Tensor1D, 0.5)).toThrow('nms: boxes must have shape [N, 4], got [2, 5]');
    expect(() => nms(tf.zeros([2, 4]) as tf.Tensor2D, tf.zeros([3]) as tf.Tensor1D, 0.5)).toThrow('nms: scores must have shape [2], got [3]');
    expect(() => nmsIndices(new Float32Array(7), new Float32Array(2), 0.5)).toThrow('nms: boxes must hold 4 values per box (8), got 7');
  });
});

describe('tensor leaks', () => {
  it('nms leaves only its result', () => {
    const b = tf.tensor2d([[0, 0, 2, 2], [1, 1, 3, 3]]);
    const s = tf.tensor1d([0.3, 0.4]);
    const before = tf.memory().numTensors;
    const keep = nms(b, s, 0.1);
    expect(tf.memory().numTensors).toBe(before + 1);
    keep.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([b, s]);
  });
});
