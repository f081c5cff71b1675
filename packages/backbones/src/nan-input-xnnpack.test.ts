/**
 * nan-input.test.ts on wasm without the native addon: tfjs-backend-wasm's XNNPACK kernels and
 * tfvision's own. Every logit of an all-NaN image is NaN, as in PyTorch.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { NAN_CASES, logitsForNaNInput } from './testing/nan-input.js';

beforeAll(async () => {
  const choice = await initBackend({ backend: 'wasm', report: false, native: false });
  expect(choice.native?.active).toBe(false);
});

describe('all-NaN input on wasm (XNNPACK, no native addon)', () => {
  for (const c of NAN_CASES) {
    it(`${c.name}: every logit is NaN in eval and train mode`, async () => {
      expect(tf.getBackend()).toBe('wasm');
      const before = tf.memory().numTensors;
      const model = c.build();
      for (const mode of ['train', 'eval'] as const) {
        const logits = await logitsForNaNInput(model, c.size, mode);
        expect(logits.length).toBe(10);
        expect({ mode, finite: Array.from(logits).filter((v) => !Number.isNaN(v)) }).toEqual({ mode, finite: [] });
      }
      model.dispose();
      // Eval mode caches folded weights in the model; dispose frees them and everything else.
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
