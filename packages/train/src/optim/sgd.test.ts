import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { BatchNorm2d, Linear, Module } from '@tfvision/nn';
import { paramGroupsForModel } from './param-groups.js';
import { Sgd, scaledLearningRate } from './sgd.js';

class Tiny extends Module {
  readonly fc = this.registerModule('fc', new Linear({ inFeatures: 1, outFeatures: 1 }));
  readonly bn = this.registerModule('bn', new BatchNorm2d({ numFeatures: 1 }));
}

function tiny(): Tiny {
  const m = new Tiny();
  m.fc.weight.assign(tf.tensor2d([[2]]));
  (m.fc.bias as tf.Variable).assign(tf.tensor1d([1]));
  m.bn.weight.assign(tf.tensor1d([3]));
  m.bn.bias.assign(tf.tensor1d([0]));
  return m;
}

const grads = () =>
  new Map<string, tf.Tensor>([
    ['fc.weight', tf.tensor2d([[0.5]])],
    ['fc.bias', tf.tensor1d([0.25])],
    ['bn.weight', tf.tensor1d([-1])],
    ['bn.bias', tf.tensor1d([0])],
  ]);

const value = (v: tf.Variable) => v.dataSync()[0];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('paramGroupsForModel', () => {
  it('decays only conv/linear weights, never BatchNorm parameters or biases', () => {
    const groups = paramGroupsForModel(tiny(), 1e-4);
    expect(groups.map((g) => [g.name, g.weightDecay])).toEqual([
      ['fc.weight', 1e-4],
      ['fc.bias', 0],
      ['bn.weight', 0],
      ['bn.bias', 0],
    ]);
  });
});

describe('Sgd', () => {
  it("scales a parameter's rate by its lrMult (momentum buffers as torch's per-group lr keeps them)", () => {
    const m = tiny();
    const groups = paramGroupsForModel(m, 0.1).map((p) => (p.name === 'fc.weight' ? { ...p, lrMult: 0.5 } : p));
    const opt = new Sgd(groups, { momentum: 0.9 });
    const g = grads();
    opt.step(g, 0.1);
    // w: g = 0.7, buf = 0.7, w = 2 - 0.05*0.7; bias at the full rate: 1 - 0.1*0.25.
    expect(value(m.fc.weight)).toBeCloseTo(1.965, 6);
    expect(value(m.fc.bias as tf.Variable)).toBeCloseTo(0.975, 6);
    opt.step(g, 0.1);
    // w: g = 0.5 + 0.1*1.965 = 0.6965, buf = 0.63 + 0.6965 = 1.3265, w = 1.965 - 0.05*1.3265.
    expect(value(m.fc.weight)).toBeCloseTo(1.898675, 6);
    opt.dispose();
    tf.dispose([...g.values()]);
  });

  it('matches PyTorch momentum SGD by hand over two steps (wd only on the linear weight)', () => {
    const m = tiny();
    const opt = new Sgd(paramGroupsForModel(m, 0.1), { momentum: 0.9 });
    const g = grads();
    opt.step(g, 0.1);
    // w: g = 0.5 + 0.1*2 = 0.7, buf = 0.7, w = 2 - 0.07; bias and BN weight see no decay.
    expect(value(m.fc.weight)).toBeCloseTo(1.93, 6);
    expect(value(m.fc.bias as tf.Variable)).toBeCloseTo(0.975, 6);
    expect(value(m.bn.weight)).toBeCloseTo(3.1, 6);
    opt.step(g, 0.1);
    // w: g = 0.5 + 0.1*1.93 = 0.693, buf = 0.63 + 0.693 = 1.323, w = 1.93 - 0.1323.
    expect(value(m.fc.weight)).toBeCloseTo(1.7977, 6);
    // b: buf = 0.225 + 0.25 = 0.475, b = 0.975 - 0.0475.
    expect(value(m.fc.bias as tf.Variable)).toBeCloseTo(0.9275, 6);
    // BN weight: buf = -0.9 - 1 = -1.9, gamma = 3.1 + 0.19.
    expect(value(m.bn.weight)).toBeCloseTo(3.29, 6);
    g.forEach((t) => t.dispose());
  });

  it('nesterov uses g + m*buf', () => {
    const m = tiny();
    const opt = new Sgd(paramGroupsForModel(m, 0.1), { momentum: 0.9, nesterov: true });
    const g = grads();
    opt.step(g, 0.1);
    // g = 0.7, buf = 0.7, d = 0.7 + 0.63 = 1.33.
    expect(value(m.fc.weight)).toBeCloseTo(1.867, 6);
    opt.step(g, 0.1);
    // g = 0.5 + 0.1867 = 0.6867, buf = 0.63 + 0.6867 = 1.3167, d = 0.6867 + 1.18503 = 1.87173.
    expect(value(m.fc.weight)).toBeCloseTo(1.679827, 5);
    g.forEach((t) => t.dispose());
  });

  it('round-trips its momentum buffers and rejects mismatched state', async () => {
    const m = tiny();
    const opt = new Sgd(paramGroupsForModel(m, 0.1), { momentum: 0.9 });
    const g = grads();
    opt.step(g, 0.1);
    const state = await opt.stateDict();
    expect(Array.from(state.get('fc.weight')?.data ?? [])).toEqual([expect.closeTo(0.7, 6)]);
    const m2 = tiny();
    const opt2 = new Sgd(paramGroupsForModel(m2, 0.1), { momentum: 0.9 });
    opt2.loadStateDict(state);
    m2.fc.weight.assign(m.fc.weight);
    opt.step(g, 0.1);
    opt2.step(g, 0.1);
    expect(value(m2.fc.weight)).toBeCloseTo(value(m.fc.weight), 7);
    state.delete('fc.bias');
    expect(() => opt2.loadStateDict(state, 'ck/optimizer.safetensors')).toThrow('ck/optimizer.safetensors: momentum buffers do not match the model: fc.bias: missing');
    g.forEach((t) => t.dispose());
  });

  it('keeps the tensor count constant across steps', () => {
    const m = tiny();
    const opt = new Sgd(paramGroupsForModel(m, 0.1), { momentum: 0.9, nesterov: true });
    const g = grads();
    const before = tf.memory().numTensors;
    opt.step(g, 0.1);
    expect(tf.memory().numTensors).toBe(before);
    g.forEach((t) => t.dispose());
  });

  it('scales the learning rate linearly with the batch', () => {
    expect(scaledLearningRate(0.1, 256)).toBeCloseTo(0.1, 12);
    expect(scaledLearningRate(0.1, 1024)).toBeCloseTo(0.4, 12);
    expect(scaledLearningRate(0.1, 64)).toBeCloseTo(0.025, 12);
  });
});
