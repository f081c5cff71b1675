/**
 * Parameter counts and stage shapes of all 16 EfficientNet variants against timm. Counting
 * needs only the module tree's shapes; drawing B7's 66M random weights in jest's sandbox takes
 * ~40 s (Math.* is slow there), so this file swaps nn's normal initialiser for zeros.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { EfficientNet, createBackbone, getModelEntry } from './index.js';

jest.mock('../../nn/src/init', () => {
  const actual = jest.requireActual('../../nn/src/init');
  const zeros = (shape: number[]) => jest.requireActual('@tensorflow/tfjs-core').zeros(shape);
  return { ...actual, kaimingNormal: zeros, normal: zeros };
});

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** timm: feature_info channels, stem width, head width, blocks per stage (efficientnet_bN). */
const TIMM_SHAPES: Record<string, { features: number[]; stem: number; head: number; repeats: number[] }> = {
  b0: { features: [16, 24, 40, 112, 320], stem: 32, head: 1280, repeats: [1, 2, 2, 3, 3, 4, 1] },
  b1: { features: [16, 24, 40, 112, 320], stem: 32, head: 1280, repeats: [2, 3, 3, 4, 4, 5, 2] },
  b2: { features: [16, 24, 48, 120, 352], stem: 32, head: 1408, repeats: [2, 3, 3, 4, 4, 5, 2] },
  b3: { features: [24, 32, 48, 136, 384], stem: 40, head: 1536, repeats: [2, 3, 3, 5, 5, 6, 2] },
  b4: { features: [24, 32, 56, 160, 448], stem: 48, head: 1792, repeats: [2, 4, 4, 6, 6, 8, 2] },
  b5: { features: [24, 40, 64, 176, 512], stem: 48, head: 2048, repeats: [3, 5, 5, 7, 7, 9, 3] },
  b6: { features: [32, 40, 72, 200, 576], stem: 56, head: 2304, repeats: [3, 6, 6, 8, 8, 11, 3] },
  b7: { features: [32, 48, 80, 224, 640], stem: 64, head: 2560, repeats: [4, 7, 7, 10, 10, 13, 4] },
};

const NAMES = Object.keys(TIMM_SHAPES).flatMap((b) => [`efficientnet_${b}`, `tf_efficientnet_${b}`]);

it.each(NAMES)('%s has timm\'s parameter count, widths and depths', (name) => {
  const m = createBackbone(name) as EfficientNet;
  try {
    expect(m.numParameters()).toBe(getModelEntry(name).params);
    const want = TIMM_SHAPES[name.slice(-2)];
    expect(m.featureInfo.map((f) => f.channels)).toEqual(want.features);
    expect(m.featureInfo.map((f) => f.stride)).toEqual([2, 4, 8, 16, 32]);
    expect([m.convStem.outChannels, m.numFeatures]).toEqual([want.stem, want.head]);
    expect(m.stages.map((s) => s.layers.length)).toEqual(want.repeats);
  } finally {
    m.dispose();
  }
});
