/**
 * An all-NaN image gives NaN logits on every backend, as in PyTorch (wasm gave finite logits:
 * XNNPACK's max pool, average pool and clamps dropped NaN; the native ReLU epilogue did too).
 * Here: cpu, and wasm with the native addon where it loads (TFVISION_NATIVE=0 turns it off);
 * nan-input-xnnpack.test.ts runs wasm without it.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { NAN_CASES, logitsForNaNInput } from './testing/nan-input.js';

let nativeDetail = '';
beforeAll(async () => {
  const choice = await initBackend({ backend: 'wasm', report: false });
  nativeDetail = choice.native?.active ? 'with the native addon' : `without the native addon (${choice.native?.detail})`;
});

describe.each(['cpu', 'wasm'])('all-NaN input on %s', (backend) => {
  for (const c of NAN_CASES) {
    it(`${c.name}: every logit is NaN in eval and train mode`, async () => {
      await tf.setBackend(backend);
      const before = tf.memory().numTensors;
      const model = c.build();
      for (const mode of ['train', 'eval'] as const) {
        const logits = await logitsForNaNInput(model, c.size, mode);
        expect(logits.length).toBe(10);
        expect({ mode, backend: backend === 'wasm' ? `wasm ${nativeDetail}` : backend, finite: Array.from(logits).filter((v) => !Number.isNaN(v)) }).toEqual({ mode, backend: backend === 'wasm' ? `wasm ${nativeDetail}` : backend, finite: [] });
      }
      model.dispose();
      // Eval mode caches folded weights in the model; dispose frees them and everything else.
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
