import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { fnv1a32 } from '@tfvision/backbones';
import { GOLDEN, rcnnImage, rcnnImageValues } from './rcnn-images.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

describe('rcnnImage (the reference generators\' images)', () => {
  const spec = { name: 'image0', shape: [3, 4, 5] as const, rects: [[1, 1, 3, 2, 0.9, 0.2, 0.1]] };

  it('background is f32(0.2 + 0.05 sin(phase + i·GOLDEN)) over the CHW index; rectangles paint x1..x2-1, y1..y2-1', () => {
    const v = rcnnImageValues(spec);
    const phase = (fnv1a32('image0') / 2 ** 32) * 2 * Math.PI;
    // HWC (h=3, w=4, c=2) is CHW index 2·20 + 3·5 + 4 = 59.
    expect(v[(3 * 5 + 4) * 3 + 2]).toBe(Math.fround(0.2 + 0.05 * Math.sin(phase + 59 * GOLDEN)));
    expect([v[(1 * 5 + 1) * 3], v[(1 * 5 + 2) * 3 + 1], v[(1 * 5 + 2) * 3 + 2]]).toEqual([Math.fround(0.9), Math.fround(0.2), Math.fround(0.1)]);
    expect(v[(1 * 5 + 3) * 3]).not.toBe(Math.fround(0.9));
    expect(v[(2 * 5 + 1) * 3]).not.toBe(Math.fround(0.9));
  });

  it('is an [H, W, 3] float32 tensor; a rectangle of the wrong length is an error', () => {
    const before = tf.memory().numTensors;
    const t = rcnnImage(spec);
    expect(t.shape).toEqual([4, 5, 3]);
    expect(t.dtype).toBe('float32');
    t.dispose();
    expect(() => rcnnImageValues({ ...spec, rects: [[0, 0, 1, 1, 0.5]] })).toThrow('rcnnImage: rects[0] of image0 must be [x1, y1, x2, y2, 3 colours], got 5 numbers');
    expect(tf.memory().numTensors).toBe(before);
  });
});
