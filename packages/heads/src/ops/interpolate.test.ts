import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { interpolate, interpolatePlan } from './interpolate.js';
import { linearTaps, nearestTaps } from './resize-taps.js';
import { checkInterpolateCase, loadFixture } from './__tests__/anchors-masks-fixture.js';

const fixture = loadFixture();

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

describe('interpolate', () => {
  it('bilinear, alignCorners false, by hand: [0, 1] -> 4 is [0, .25, .75, 1]', () => {
    const x = tf.tensor4d([0, 1], [1, 1, 2, 1]);
    const y = interpolate(x, { size: [1, 4], mode: 'bilinear' });
    expect(Array.from(y.dataSync())).toEqual([0, 0.25, 0.75, 1]);
    tf.dispose([x, y]);
  });

  it('bilinear, alignCorners true, by hand: [0, 4] -> 5 is [0, 1, 2, 3, 4]', () => {
    const x = tf.tensor4d([0, 4], [1, 2, 1, 1]);
    const y = interpolate(x, { size: [5, 1], mode: 'bilinear', alignCorners: true });
    expect(Array.from(y.dataSync())).toEqual([0, 1, 2, 3, 4]);
    tf.dispose([x, y]);
  });

  it('nearest is floor(d * in/out): 3 -> 7 reads 0 0 0 1 1 2 2; 3 -> 6 halves', () => {
    expect(Array.from(nearestTaps(3, 7))).toEqual([0, 0, 0, 1, 1, 2, 2]);
    expect(Array.from(nearestTaps(3, 6))).toEqual([0, 0, 1, 1, 2, 2]);
  });

  it('keeps the source coordinate in float64: tap 5 of 13 -> 31 (alignCorners) sits 3e-8 past 2', () => {
    // float32 ratio 0.4 is 0.4000000059604645; 5 * that, rounded to float32, would be exactly 2.
    const taps = linearTaps(13, 31, true);
    expect(taps.i0[5]).toBe(2);
    expect(taps.w1[5]).toBe(Math.fround(5 * Math.fround(0.4) - 2));
  });

  it('applies torch size rules: floor(in * scale); the kernel sees the scale unless recomputed', () => {
    expect(interpolatePlan(9, 10, { scaleFactor: [1.7, 0.65] })).toEqual({ outHeight: 15, outWidth: 6, kernelScaleH: 1.7, kernelScaleW: 0.65 });
    expect(interpolatePlan(9, 10, { scaleFactor: 1.7, recomputeScaleFactor: true })).toEqual({ outHeight: 15, outWidth: 17 });
  });

  it.each(fixture.interpolate.filter((c) => !c.slowOnly).map((c) => [c.name, c] as const))('equals torch within 1e-5: %s', (_, c) => {
    checkInterpolateCase(c);
  });

  it('leaks no tensors', () => {
    const x = tf.randomUniform([1, 5, 6, 2], 0, 1, 'float32', 7) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    for (const opts of [{ size: [9, 4] as const, mode: 'bilinear' as const }, { size: [5, 6] as const, mode: 'bilinear' as const }, { size: [10, 3] as const }, { size: [5, 6] as const }]) {
      const y = interpolate(x, opts);
      expect(tf.memory().numTensors).toBe(before + 1);
      y.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('rejects bad input with a one-line error naming the value', () => {
    const x = tf.zeros([1, 4, 4, 1]) as tf.Tensor4D;
    expect(() => interpolate(x, { size: [0, 3] })).toThrow('interpolate: size must be positive integers, got [0, 3]');
    expect(() => interpolate(x, { size: 3, scaleFactor: 2 })).toThrow('interpolate: only one of size or scaleFactor may be given, got both');
    expect(() => interpolate(x, {})).toThrow('interpolate: either size or scaleFactor must be given, got neither');
    expect(() => interpolate(x, { scaleFactor: -1 })).toThrow('interpolate: scaleFactor must be positive and finite, got [-1, -1]');
    expect(() => interpolate(x, { scaleFactor: 0.1 })).toThrow('interpolate: output size must be positive, got 0x0 from input 4x4');
    expect(() => interpolate(x, { size: 3, alignCorners: true })).toThrow("interpolate: alignCorners can only be set with mode 'bilinear', got alignCorners true with 'nearest'");
    expect(() => interpolate(x, { size: 3, recomputeScaleFactor: true })).toThrow('interpolate: recomputeScaleFactor is not meaningful with an explicit size, got size 3');
    const r3 = tf.zeros([4, 4, 1]);
    expect(() => interpolate(r3 as unknown as tf.Tensor4D, { size: 3 })).toThrow('interpolate: x must be a rank-4 NHWC tensor, got rank 3');
    const xi = tf.zeros([1, 4, 4, 1], 'int32') as tf.Tensor4D;
    expect(() => interpolate(xi, { size: 3, mode: 'bilinear' })).toThrow('interpolate: bilinear needs a float32 tensor, got int32');
    tf.dispose([x, r3, xi]);
  });
});
