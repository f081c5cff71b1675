/**
 * Every registered ResNet-family variant, built, has exactly timm's parameter count (the
 * counts in timm-cfgs.ts come from timm's own models: tools/timm_variants.py). Only shapes are
 * counted, so nn's random initialisers are swapped for zeros: drawing resnest269e's 111M
 * normal samples in jest's sandbox would take minutes.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { RESNET_VARIANTS, createBackbone, getModelEntry, countParameters } from './index.js';

jest.mock('../../nn/src/init', () => {
  const actual = jest.requireActual('../../nn/src/init');
  const zeros = (shape: number[]) => jest.requireActual('@tensorflow/tfjs-core').zeros(shape);
  return { ...actual, kaimingNormal: zeros, normal: zeros, kaimingUniformDefault: zeros, uniform: zeros };
});

beforeAll(async () => {
  await tf.setBackend('cpu');
});

it('registers all 37 ResNet-family variants', () => {
  expect(Object.keys(RESNET_VARIANTS)).toHaveLength(37);
});

it.each(Object.keys(RESNET_VARIANTS))('%s has timm\'s parameter count', (name) => {
  const m = createBackbone(name);
  try {
    expect(countParameters(m)).toBe(getModelEntry(name).params);
  } finally {
    m.dispose();
  }
});
