/**
 * DeepLabV3 and DeepLabV3+ equal torchvision and segmentation_models.pytorch on hash weights
 * (fixtures/deeplab, made by tools/reference/deeplab.py): parameter names and shapes, and the
 * logits before and after upsampling (and smp's decoder output) on two non-square sizes, to 1e-4
 * of the largest logit at the sampled positions, sums of squares to 1e-4. The larger presets
 * (resnet101, resnest50d bodies) and the full-tensor comparison are in deeplab.slow.test.ts.
 * wasm by default (the JS cpu backend is slow under jest); TFVISION_EQUIV_BACKEND=cpu checks cpu.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { readHeadsFixture } from '../testing/fixture-compare.js';
import { DEFAULT_CASES, checkAgainstFixture, type DeeplabFixture } from './deeplab-fixture.js';

beforeAll(async () => {
  await initBackend({ backend: process.env.TFVISION_EQUIV_BACKEND ?? 'wasm', report: false });
});

describe.each(DEFAULT_CASES)('%s equals its reference on hash weights', (name) => {
  const fixture = readHeadsFixture<DeeplabFixture>(`deeplab/${name}.json`);
  it(`names, shapes and logits before and after upsampling (${fixture.reference})`, () => {
    const before = tf.memory().numTensors;
    const worst = checkAgainstFixture(fixture);
    expect(worst.relative).toBeLessThan(1e-4);
    expect(worst.sumsq).toBeLessThan(1e-4);
    expect(tf.memory().numTensors).toBe(before);
  });
});
