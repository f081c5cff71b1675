import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { SeededRng } from './seeded-rng.js';
import { pasteMasksInImage } from './paste-masks.js';
import { checkPasteCase, loadFixture } from './__tests__/anchors-masks-fixture.js';

const fixture = loadFixture();

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

describe('pasteMasksInImage', () => {
  it('pastes a constant mask over exactly the +1 box: [2, 1, 5, 3] covers 4 x 3 pixels', () => {
    const masks = tf.ones([1, 4, 4]) as tf.Tensor3D;
    const boxes = tf.tensor2d([[2, 1, 5, 3]]);
    const out = pasteMasksInImage(masks, boxes, 6, 8, 0);
    const v = out.dataSync();
    const hits: number[] = [];
    v.forEach((p, i) => p !== 0 && hits.push(i));
    expect(hits).toEqual([10, 11, 12, 13, 18, 19, 20, 21, 26, 27, 28, 29]);
    expect(hits.every((i) => v[i] === 1)).toBe(true);
    tf.dispose([masks, boxes, out]);
  });

  it.each(fixture.paste.map((c) => [c.name, c] as const))('equals torchvision within 1e-5: %s', (_, c) => {
    checkPasteCase(c);
  });

  it('handles no masks and leaks no tensors', () => {
    const masks = tf.zeros([0, 28, 28]) as tf.Tensor3D;
    const boxes = tf.zeros([0, 4]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const out = pasteMasksInImage(masks, boxes, 5, 7);
    expect(out.shape).toEqual([0, 5, 7]);
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([masks, boxes, out]);
    expect(tf.memory().numTensors).toBe(before - 2);
  });

  it('pastes 100 masks into an 800x1088 image fast', () => {
    const rng = new SeededRng(13);
    const n = 100;
    const masks = tf.tensor3d(Float32Array.from({ length: n * 28 * 28 }, () => rng.next()), [n, 28, 28]);
    const boxes = tf.tensor2d(
      Array.from({ length: n }, () => {
        const x = rng.next() * 1000 - 50;
        const y = rng.next() * 700 - 50;
        return [x, y, x + 10 + rng.next() * 300, y + 10 + rng.next() * 300];
      }),
    );
    const t0 = performance.now();
    const out = pasteMasksInImage(masks, boxes, 800, 1088);
    const ms = performance.now() - t0;
    expect(out.shape).toEqual([n, 800, 1088]);
    console.log(`pasteMasksInImage: 100 masks into 800x1088 in ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(5000);
    tf.dispose([masks, boxes, out]);
  });

  it('rejects bad input with a one-line error naming the value', () => {
    const masks = tf.zeros([2, 4, 4]) as tf.Tensor3D;
    const boxes = tf.zeros([3, 4]) as tf.Tensor2D;
    expect(() => pasteMasksInImage(masks, boxes, 10, 10)).toThrow('pasteMasksInImage: masks and boxes must have the same count, got 2 masks and 3 boxes');
    const two = tf.zeros([2, 4]) as tf.Tensor2D;
    expect(() => pasteMasksInImage(masks, two, 0, 10)).toThrow('pasteMasksInImage: imageH must be an integer >= 1, got 0');
    expect(() => pasteMasksInImage(masks, two, 10, 10, -1)).toThrow('pasteMasksInImage: padding must be an integer >= 0, got -1');
    const flat = tf.zeros([2, 16]);
    expect(() => pasteMasksInImage(flat as unknown as tf.Tensor3D, two, 10, 10)).toThrow('pasteMasksInImage: masks must be [N, M, M], got shape [2,16]');
    const wide = tf.zeros([2, 4, 5]) as tf.Tensor3D;
    expect(() => pasteMasksInImage(wide, two, 10, 10)).toThrow('pasteMasksInImage: masks must be square [N, M, M], got shape [2,4,5]');
    const b5 = tf.zeros([2, 5]) as tf.Tensor2D;
    expect(() => pasteMasksInImage(masks, b5, 10, 10)).toThrow('pasteMasksInImage: boxes must be [N, 4], got shape [2,5]');
    const nan = tf.tensor2d([[0, 0, 1, 1], [0, NaN, 1, 1]]);
    expect(() => pasteMasksInImage(masks, nan, 10, 10)).toThrow('pasteMasksInImage: boxes must be finite, got [0, NaN, 1, 1] at row 1');
    tf.dispose([masks, boxes, two, flat, wide, b5, nan]);
  });
});
