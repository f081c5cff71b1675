import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { initBackend } from '../backend.js';
import { GroupNorm } from './group-norm.js';
import { Sequential } from '../module.js';
import { mismatch, readJsonFixture } from '../testing/torch-reference.js';
import { maxDeviation, runGroupNormCase, type GroupNormFixture } from '../testing/group-norm-cases.js';

const fixture = readJsonFixture<GroupNormFixture>(join(__dirname, 'testdata', 'group-norm.json'));

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

describe('GroupNorm by hand', () => {
  it('normalises each group of consecutive channels over positions, then scales and shifts per channel', () => {
    // One position, channels [1, 2, 3, 5] in 2 groups: {1, 2} has mean 1.5, var 0.25; {3, 5} mean 4, var 1.
    const gn = new GroupNorm({ numGroups: 2, numChannels: 4 });
    gn.weight!.assign(tf.tensor1d([1, 1, 2, 2]));
    gn.bias!.assign(tf.tensor1d([0, 0, 1, 1]));
    const y = gn.forward(tf.tensor4d([1, 2, 3, 5], [1, 1, 1, 4]));
    const a = 0.5 / Math.sqrt(0.25 + 1e-5);
    const b = 1 / Math.sqrt(1 + 1e-5);
    expect(y.shape).toEqual([1, 1, 1, 4]);
    expect(mismatch(values(y), [-a, a, 1 - 2 * b, 1 + 2 * b])).toBeNull();
  });

  it('pools positions into the statistics and keeps samples apart', () => {
    // Sample 0: one group over 2 positions x 2 channels = [0, 2, 4, 6], mean 3, var 5; sample 1 is constant.
    const gn = new GroupNorm({ numGroups: 1, numChannels: 2, affine: false });
    const y = values(gn.forward(tf.tensor3d([[[0, 2], [4, 6]], [[7, 7], [7, 7]]])));
    const s = Math.sqrt(5 + 1e-5);
    expect(mismatch(y, [-3 / s, -1 / s, 1 / s, 3 / s, 0, 0, 0, 0])).toBeNull();
  });

  it("names its parameters as PyTorch's GroupNorm and works inside Sequential", () => {
    const net = new Sequential([new GroupNorm({ numGroups: 2, numChannels: 4 })]);
    expect(net.namedParameters().map(([n, v]) => [n, v.shape])).toEqual([['0.weight', [4]], ['0.bias', [4]]]);
    expect(new GroupNorm({ numGroups: 2, numChannels: 4, affine: false }).namedParameters()).toEqual([]);
  });

  it('leaks no tensor, forward or backward', () => {
    const gn = new GroupNorm({ numGroups: 2, numChannels: 4 });
    const x = tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 3);
    const before = tf.memory().numTensors;
    gn.forward(x).dispose();
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(gn.forward(x))) as tf.Scalar);
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad options and input with one line naming the value', () => {
    expect(() => new GroupNorm({ numGroups: 3, numChannels: 4 })).toThrow('GroupNorm: numChannels must be divisible by numGroups=3, got 4');
    expect(() => new GroupNorm({ numGroups: 0, numChannels: 4 })).toThrow('GroupNorm: numGroups must be a positive integer, got 0');
    expect(() => new GroupNorm({ numGroups: 1, numChannels: 4, eps: 0 })).toThrow('GroupNorm: eps must be > 0, got 0');
    expect(() => new GroupNorm({ numGroups: 2, numChannels: 4 }).forward(tf.zeros([1, 2, 2, 3]))).toThrow('GroupNorm: expected input [N, ..., 4], got shape [1,2,2,3]');
  });
});

describe('GroupNorm against torch.nn.GroupNorm 1.13 (fixture from tools/reference/losses.py)', () => {
  it('covers LayerNorm-like, InstanceNorm-like, no-affine and offset cases', () => {
    expect(fixture.groupNorm.length).toBe(6);
  });
  // Held to torch's float64 result, and to its float32 result within 1e-5 plus torch's own
  // float32 error (3e-5 in the mean-50 case, where ours is the closer of the two).
  for (const c of fixture.groupNorm) {
    it(`${c.name}: output and gradients of input, weight and bias`, () => {
      const ours = runGroupNormCase(c);
      expect(mismatch(ours.y, c.yFloat64, { atol: 1e-5 })).toBeNull();
      expect(mismatch(ours.y, c.y, { atol: 1e-5 + maxDeviation(c.y, c.yFloat64) })).toBeNull();
      expect(mismatch(ours.gradX, c.gradXFloat64, { atol: 1e-5, rtol: 1e-4 })).toBeNull();
      expect(mismatch(ours.gradX, c.gradX, { atol: 1e-5 + maxDeviation(c.gradX, c.gradXFloat64), rtol: 1e-4 })).toBeNull();
      if (c.affine) {
        expect(mismatch(ours.gradWeight!, c.gradWeightFloat64!, { atol: 1e-5, rtol: 1e-4 })).toBeNull();
        expect(mismatch(ours.gradWeight!, c.gradWeight!, { atol: 1e-5 + maxDeviation(c.gradWeight!, c.gradWeightFloat64!), rtol: 1e-4 })).toBeNull();
        expect(mismatch(ours.gradBias!, c.gradBias!, { atol: 1e-5 })).toBeNull();
      }
    });
  }
});
