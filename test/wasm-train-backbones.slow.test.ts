import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { createBackbone, listModels } from '@tfvision/backbones';

/**
 * Every registered backbone family trains on the wasm backend: one SGD step of the family's
 * smallest variant at 32x32 (4 classes) gives a finite loss, moves the weights and leaks no
 * tensors. Families come from the registry, so a new family is covered when it registers.
 * Slow (about a minute: full-width models are built and run): TFVISION_SLOW=1.
 */
function smallestPerFamily(): string[] {
  const best = new Map<string, { name: string; params: number }>();
  for (const e of listModels()) {
    const cur = best.get(e.family);
    if (!cur || e.params < cur.params) best.set(e.family, { name: e.name, params: e.params });
  }
  return [...best.values()].map((b) => b.name);
}

// TFVISION_ALL_MODELS=1 steps every registered variant (53; ~10 minutes), else one per family.
const families = process.env.TFVISION_ALL_MODELS === '1' ? listModels().map((m) => m.name) : smallestPerFamily();

describe('one training step on wasm for every backbone family', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', report: false });
  });

  it('has families to test', () => {
    expect(families.length).toBeGreaterThan(0);
  });

  it.each(families.map((n) => [n]))('%s', (name) => {
    // zeroInitLastBn off: with zero gammas the residual branches get no gradient on a first step.
    const model = createBackbone(name, { numClasses: 4, zeroInitLastBn: false });
    model.train();
    // 64x64, so the last stage keeps 2x2 positions: at 32x32 it is 1x1, BatchNorm normalises 2
    // values per channel, and the deepest EfficientNets' gradients overflow float32 (PyTorch's
    // efficientnet_b7 reaches 2.7e10 there too; ours 9e19, then NaN).
    const x = tf.randomNormal([2, 64, 64, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
    const labels = tf.oneHot(tf.tensor1d([1, 3], 'int32'), 4).toFloat();
    const sgd = tf.train.sgd(0.05);
    const params = model.trainableParameters();
    const before = params.map((p) => p.dataSync().slice());
    const step = (): number => {
      const cost = sgd.minimize(() => tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(model.forward(x) as tf.Tensor2D)), 1))) as tf.Scalar, true, params);
      const v = cost!.dataSync()[0];
      cost!.dispose();
      return v;
    };
    expect(Number.isFinite(step())).toBe(true);
    const numTensors = tf.memory().numTensors;
    expect(Number.isFinite(step())).toBe(true);
    expect(tf.memory().numTensors).toBe(numTensors);
    const moved = params.filter((p, i) => p.dataSync().some((v, j) => v !== before[i][j])).length;
    // Every parameter the loss reaches moves (BN/conv/fc); allow none to be frozen by default.
    expect(moved).toBe(params.length);
    tf.dispose([x, labels]);
    sgd.dispose();
    model.dispose();
  });
});
