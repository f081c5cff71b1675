import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { boxArea, boxIou, boxIouArrays, clipBoxesToImage, removeSmallBoxes, removeSmallBoxesIndices } from './box-ops.js';
import { loadBoxOpsFixture } from './__tests__/box-fixture.js';
import { checkBoxOps } from './__tests__/box-checks.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

const fixture = loadBoxOpsFixture();

describe('box ops against torchvision 0.14', () => {
  it('area, IoU matrix, clip ([N,4] and [N,K,4]) and remove-small equal the fixture (border-crossing, zero and negative sizes)', () => {
    checkBoxOps(fixture.boxOps);
  });
});

describe('boxArea / boxIou by hand', () => {
  it('areas are (x2-x1)(y2-y1), negative-size boxes included', () => {
    const b = tf.tensor2d([[0, 0, 2, 3], [1, 1, 1, 5], [2, 2, 1, 1]]);
    expect(Array.from(boxArea(b).dataSync())).toEqual([6, 0, 1]);
  });

  it('IoU of two 2x2 boxes offset by 1 is 1/7, disjoint boxes 0, shape [N, M]', () => {
    const a = tf.tensor2d([[0, 0, 2, 2], [10, 10, 12, 12]]);
    const b = tf.tensor2d([[1, 1, 3, 3], [0, 0, 2, 2], [5, 5, 6, 6]]);
    const iou = boxIou(a, b);
    expect(iou.shape).toEqual([2, 3]);
    const v = Array.from(iou.dataSync());
    expect(v[0]).toBeCloseTo(1 / 7, 7);
    expect(v.slice(1)).toEqual([1, 0, 0, 0, 0]);
  });

  it('empty inputs give empty matrices', () => {
    expect(boxIou(tf.zeros([0, 4]), tf.tensor2d([[0, 0, 1, 1]])).shape).toEqual([0, 1]);
    expect(boxIou(tf.tensor2d([[0, 0, 1, 1]]), tf.zeros([0, 4])).shape).toEqual([1, 0]);
    expect(boxArea(tf.zeros([0, 4])).shape).toEqual([0]);
  });
});

describe('boxIouArrays (the host IoU the matchers read)', () => {
  it("equals boxIou bit for bit on random, degenerate and negative-size boxes, on cpu and wasm", async () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 100 - 10;
    const boxes = (k: number) => Float32Array.from({ length: 4 * k }, (_, i) => (i % 13 === 0 ? 5 : rand()));
    const a = boxes(9);
    const b = boxes(257);
    b.set([3, 3, 3, 3, 0, 0, 0, 0], 0); // zero-area boxes: 0 / 0 where they meet zero-area GT
    a.set([3, 3, 3, 3], 0);
    const host = boxIouArrays(a, b);
    expect(host.length).toBe(9 * 257);
    for (const backend of ['cpu', 'wasm']) {
      await initBackend({ backend, report: false });
      const t = tf.tidy(() => boxIou(tf.tensor2d(a, [9, 4]), tf.tensor2d(b, [257, 4])).dataSync() as Float32Array);
      const bits = (v: Float32Array) => Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length), (u, i) => (Number.isNaN(v[i]) ? 'nan' : u));
      expect(bits(host)).toEqual(bits(t));
    }
    await initBackend({ backend: 'cpu', report: false });
    expect(host[0]).toBeNaN();
  });

  it('1/7 for 2x2 boxes offset by 1, and a one-line error for a ragged array', () => {
    expect(boxIouArrays(Float32Array.of(0, 0, 2, 2), Float32Array.of(1, 1, 3, 3))[0]).toBe(Math.fround(1 / 7));
    expect(() => boxIouArrays(Float32Array.of(0, 0, 2), Float32Array.of(1, 1, 3, 3))).toThrow('boxIouArrays: boxes must hold 4 values per box, got 3 and 4 values');
  });
});

describe('clipBoxesToImage', () => {
  it('clamps x to [0, width] and y to [0, height] with size = (height, width)', () => {
    const b = tf.tensor2d([[-5, 3, 700, 500], [10, -1, 20, 470]]);
    expect(Array.from(clipBoxesToImage(b, [480, 640]).dataSync())).toEqual([0, 3, 640, 480, 10, 0, 20, 470]);
  });
});

describe('removeSmallBoxes', () => {
  it('keeps width and height >= minSize, ascending', () => {
    const b = tf.tensor2d([[0, 0, 0.5, 4], [0, 0, 1, 1], [0, 0, 2, 0.9], [3, 3, 5, 5]]);
    expect(Array.from(removeSmallBoxes(b, 1).dataSync())).toEqual([1, 3]);
  });

  it('compares in float32 like torch: a width of float32(0.7) passes minSize 0.7 though it is below 0.7 in double', () => {
    const w = Math.fround(0.7);
    expect(w).toBeLessThan(0.7);
    expect(Array.from(removeSmallBoxesIndices(new Float32Array([0, 0, w, 1]), 0.7))).toEqual([0]);
  });
});

describe('input checks', () => {
  it('names the op, the argument and the bad value', () => {
    expect(() => boxIou(tf.zeros([3, 5]) as tf.Tensor2D, tf.zeros([1, 4]) as tf.Tensor2D)).toThrow('boxIou: boxes1 must have shape [N, 4], got [3, 5]');
    expect(() => boxArea(tf.zeros([4]) as unknown as tf.Tensor2D)).toThrow('boxArea: boxes must have shape [N, 4], got [4]');
    expect(() => boxArea(tf.zeros([2, 4], 'int32') as tf.Tensor2D)).toThrow('boxArea: boxes must be float32, got int32');
    expect(() => clipBoxesToImage(tf.zeros([1, 4]), [480, -1])).toThrow('clipBoxesToImage: width must be a finite number >= 0, got -1');
    expect(() => removeSmallBoxes(tf.zeros([1, 4]) as tf.Tensor2D, NaN)).toThrow('removeSmallBoxes: minSize must be a number, got NaN');
  });
});

describe('tensor leaks', () => {
  it('every op leaves only its result', () => {
    const a = tf.tensor2d([[0, 0, 2, 2], [1, 1, 4, 3]]);
    const b = tf.tensor2d([[1, 1, 3, 3]]);
    const before = tf.memory().numTensors;
    const outs = [boxArea(a), boxIou(a, b), clipBoxesToImage(a, [3, 3]), removeSmallBoxes(a, 1)];
    expect(tf.memory().numTensors).toBe(before + outs.length);
    tf.dispose(outs);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b]);
  });
});
