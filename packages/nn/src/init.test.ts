import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { kaimingNormal, setInitSeed } from './init.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('kaimingNormal', () => {
  it('has mean 0 and std sqrt(2 / fan_out) (PyTorch fan_out = kh*kw*out)', () => {
    const w = kaimingNormal([3, 3, 64, 128], 'fanOut');
    const v = w.dataSync();
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    expect(Math.abs(mean)).toBeLessThan(0.002);
    expect(std).toBeCloseTo(Math.sqrt(2 / (9 * 128)), 3);
  });

  it('is reproducible after setInitSeed', () => {
    setInitSeed(7);
    const a = Array.from(kaimingNormal([4, 4]).dataSync());
    setInitSeed(7);
    const b = Array.from(kaimingNormal([4, 4]).dataSync());
    setInitSeed(undefined);
    expect(a).toEqual(b);
  });
});
