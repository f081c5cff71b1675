import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { sgdMomentumUpdate, sgdProgram, type SgdMomentumAttrs } from './sgd-kernel.js';

function seeded(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 2.31 + seed) * (1 + (i % 7)));
}

/** The update as separate tf ops, as Sgd.step ran it before the kernel. */
function byOps(w: tf.Tensor, g0: tf.Tensor, buf: tf.Tensor | undefined, a: SgdMomentumAttrs): tf.Tensor[] {
  return tf.tidy(() => {
    let g = a.weightDecay !== 0 ? tf.add(g0, tf.mul(w, a.weightDecay)) : g0;
    let next: tf.Tensor | undefined;
    if (buf) {
      next = tf.add(tf.mul(buf, a.momentum), g);
      g = a.nesterov ? tf.add(g, tf.mul(next, a.momentum)) : next;
    }
    const w2 = tf.sub(w, tf.mul(g, a.lr));
    return next ? [w2, next] : [w2];
  });
}

describe.each(['cpu', 'wasm'])('TfvSgdMomentum on %s', (backend) => {
  beforeAll(async () => {
    await initBackend({ backend, report: false });
  });

  it.each([
    { lr: 0.1, momentum: 0.9, weightDecay: 1e-4, nesterov: false },
    { lr: 0.037, momentum: 0.9, weightDecay: 5e-5, nesterov: true },
    { lr: 0.2, momentum: 0, weightDecay: 1e-4, nesterov: false },
    { lr: 0.2, momentum: 0.5, weightDecay: 0, nesterov: false },
  ])('is bit-identical to the tf-op update (%o)', (a) => {
    const w = tf.tensor2d(seeded(60, 0.1), [6, 10]);
    const g = tf.tensor2d(seeded(60, 1.7), [6, 10]);
    const buf = a.momentum > 0 ? tf.tensor2d(seeded(60, 3.3), [6, 10]) : undefined;
    const before = tf.memory().numTensors;
    const got = sgdMomentumUpdate(w, g, buf, a);
    const want = byOps(w, g, buf, a);
    expect(Array.from(got.param.dataSync())).toEqual(Array.from(want[0].dataSync()));
    if (buf) expect(Array.from((got.buf as tf.Tensor).dataSync())).toEqual(Array.from(want[1].dataSync()));
    else expect(got.buf).toBeUndefined();
    tf.dispose([got.param, got.buf as tf.Tensor, ...want]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([w, g, buf as tf.Tensor]);
  });

  it('rejects a gradient of another shape, naming both', () => {
    const w = tf.zeros([2, 3]);
    const g = tf.zeros([3, 2]);
    expect(() => sgdMomentumUpdate(w, g, undefined, { lr: 0.1, momentum: 0, weightDecay: 0, nesterov: false })).toThrow("TfvSgdMomentum: grad must have the parameter's shape [2,3], got [3,2]");
    tf.dispose([w, g]);
  });
});

describe('SGD WGSL programs (the shaders run only on a GPU)', () => {
  it('reads the new buffer for the parameter update and skips decay when it is 0', () => {
    expect(sgdProgram([4, 5], 'param', true, true, true).getUserCode()).toContain('g + nextBuf[index] * uniforms.momentum');
    expect(sgdProgram([4, 5], 'buf', true, false, false).getUserCode()).toContain('let g = grad[index];');
    expect(sgdProgram([4, 5], 'param', false, false, true).variableNames).toEqual(['param', 'grad']);
    expect(sgdProgram([1000], 'buf', true, false, true).dispatch).toEqual([16, 1, 1]);
  });
});
