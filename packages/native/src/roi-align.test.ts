/**
 * The native RoIAlign (forward and gradient) gives the same bits as @tfvision/heads' host loops,
 * which the cpu backend runs: boxes inside, across and outside the map, tiny, inverted and NaN
 * boxes, adaptive sampling with more than 16 samples a bin side, aligned and not, RoIs selected
 * by level, and a bad batch index. Skips cleanly without the addon.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { roiAlign, type RoiAlignOptions } from '@tfvision/heads';
import { initBackend } from '@tfvision/nn';
import { isNativeKernel, loadNativeAddon } from './index.js';
import { firstDifference, valuesOn } from './__tests__/same-bits.js';

const { addon, reason } = loadNativeAddon();
const describeNative = addon ? describe : describe.skip;
if (!addon) console.log(`skipped: ${reason}`);

const SHAPE: [number, number, number, number] = [2, 13, 17, 24];
const features = Float32Array.from({ length: SHAPE.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37) * 3 + Math.cos(i * 0.011));
// [batch, x1, y1, x2, y2] in image pixels (spatialScale 0.25: the map covers 68 x 52 pixels).
const ROIS = [
  [0, 4, 4, 40, 30],
  [1, 0, 0, 68, 52],
  [1, -20, -10, 30, 20], // across the top-left edge: samples below -1 count as zeros
  [0, 60, 45, 90, 80], // mostly outside
  [1, 10.3, 7.7, 11.1, 8.2], // under a pixel
  [0, 30, 30, 10, 10], // inverted
  [1, 5, 5, 600, 500], // adaptive grid > 16 samples a side
  [0, 3, NaN, 20, 20],
];
const rows = ROIS.length;

function pooled(backend: string, options: RoiAlignOptions, rois: number[][] = ROIS, shape: [number, number, number, number] = SHAPE): Promise<Float32Array[]> {
  const values = shape === SHAPE ? features : Float32Array.from({ length: shape.reduce((p, q) => p * q, 1) }, (_, i) => Math.sin(i * 0.37) * 3 + Math.cos(i * 0.011));
  return valuesOn(backend, () => {
    const x = tf.tensor4d(values, shape);
    const r = tf.tensor2d(rois.flat(), [rois.length, 5]);
    const y = roiAlign(x, r, options);
    const dy = tf.tensor(Float32Array.from({ length: y.size }, (_, i) => Math.cos(i * 0.7)), y.shape);
    const dx = tf.grad((f: tf.Tensor) => tf.sum(tf.mul(roiAlign(f as tf.Tensor4D, r, options), dy)))(x);
    return [y, dx];
  });
}

describeNative('native RoIAlign on the wasm backend equals the host loops bit for bit', () => {
  beforeAll(async () => {
    const choice = await initBackend({ backend: 'wasm', report: false, native: true });
    expect(choice.native?.active).toBe(true);
  });

  const CASES: [string, RoiAlignOptions][] = [
    ['torchvision default (aligned false, sampling 2, 7x7)', { outputSize: 7, spatialScale: 0.25, samplingRatio: 2, aligned: false }],
    ['detectron2 ROIAlignV2 (aligned, adaptive sampling)', { outputSize: 7, spatialScale: 0.25, samplingRatio: 0, aligned: true }],
    ['mask head 14x14, sampling 2, aligned', { outputSize: 14, spatialScale: 0.25, samplingRatio: 2, aligned: true }],
    ['non-square 3x5, adaptive, not aligned', { outputSize: [3, 5], spatialScale: 0.25, samplingRatio: 0, aligned: false }],
    ['only the RoIs of level 1 (the rest are zero rows)', { outputSize: 7, spatialScale: 0.25, samplingRatio: 2, aligned: false, select: { roiLevels: Array.from({ length: rows }, (_, k) => k % 2), level: 1 } }],
  ];
  for (const [name, options] of CASES) {
    it(`${name}: pooled features and their gradient`, async () => {
      const expected = await pooled('cpu', options);
      const got = await pooled('wasm', options);
      expect(got[0].length).toBe(rows * (typeof options.outputSize === 'number' ? options.outputSize ** 2 : options.outputSize[0] * options.outputSize[1]) * SHAPE[3]);
      expect(got[0].some((v) => v !== 0)).toBe(true);
      expect(firstDifference(got[0], expected[0])).toBe(-1);
      expect(firstDifference(got[1], expected[1])).toBe(-1);
      // The ops registered heads' kernels on first use; the native ones stayed in place.
      expect([isNativeKernel('TfvRoiAlign'), isNativeKernel('TfvRoiAlignGrad')]).toEqual([true, true]);
    });
  }

  it('levels compare as the JS kernel compares them: fractional values match only themselves', async () => {
    const options: RoiAlignOptions = { outputSize: 2, spatialScale: 0.25, samplingRatio: 2, aligned: false, select: { roiLevels: [0.5, 0, 1.5], level: 0.5 } };
    const three = ROIS.slice(0, 3);
    const expected = await pooled('cpu', options, three);
    const got = await pooled('wasm', options, three);
    expect(firstDifference(got[0], expected[0])).toBe(-1);
    const row = 2 * 2 * SHAPE[3];
    expect([0, 1, 2].map((k) => got[0].subarray(k * row, (k + 1) * row).some((v) => v !== 0))).toEqual([true, false, false]);
  });

  it('many RoIs (threaded forward) equal the host loop', async () => {
    const many = Array.from({ length: 300 }, (_, k) => [k % 2, (k * 7) % 50, (k * 3) % 40, ((k * 7) % 50) + 5 + (k % 17), ((k * 3) % 40) + 4 + (k % 11)]);
    const options: RoiAlignOptions = { outputSize: 7, spatialScale: 0.25, samplingRatio: 2, aligned: false };
    const expected = await pooled('cpu', options, many);
    const got = await pooled('wasm', options, many);
    expect(firstDifference(got[0], expected[0])).toBe(-1);
    expect(firstDifference(got[1], expected[1])).toBe(-1);
  });

  it('many RoIs over 64 channels (gradient threaded by channel ranges) equal the host loop', async () => {
    const many = Array.from({ length: 120 }, (_, k) => [k % 2, (k * 7) % 50, (k * 3) % 40, ((k * 7) % 50) + 5 + (k % 17), ((k * 3) % 40) + 4 + (k % 11)]);
    const options: RoiAlignOptions = { outputSize: 7, spatialScale: 0.25, samplingRatio: 2, aligned: true };
    const shape: [number, number, number, number] = [2, 13, 17, 64];
    const expected = await pooled('cpu', options, many, shape);
    const got = await pooled('wasm', options, many, shape);
    // 120 x 7 x 7 x 64 gradient rows: above the threading threshold (4 x 32768).
    expect(got[0].length).toBe(120 * 49 * 64);
    expect(firstDifference(got[1], expected[1])).toBe(-1);
    expect(got[1].some((v) => v !== 0)).toBe(true);
  });

  it('a batch index outside the features stops with the message the JS kernel gives', async () => {
    const bad = [[0, 1, 1, 9, 9], [2, 1, 1, 9, 9]];
    const options: RoiAlignOptions = { outputSize: 2, spatialScale: 0.25, samplingRatio: 2, aligned: false };
    await expect(pooled('cpu', options, bad)).rejects.toThrow('roiAlign: rois[1][0] must be a batch index in [0, 2), got 2');
    const before = tf.memory().numTensors;
    await expect(pooled('wasm', options, bad)).rejects.toThrow('roiAlign: rois[1][0] must be a batch index in [0, 2), got 2');
    expect(tf.memory().numTensors).toBe(before);
  });
});
