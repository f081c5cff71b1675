import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { BalancedPositiveNegativeSampler } from './balanced-sampler.js';
import { loadBoxOpsFixture } from './__tests__/box-fixture.js';
import { checkSampler } from './__tests__/box-checks.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

const fixture = loadBoxOpsFixture();
const count = (m: Uint8Array) => m.reduce((s, v) => s + v, 0);

describe('BalancedPositiveNegativeSampler against torchvision 0.14', () => {
  it('with torch\'s randperm draws injected, the masks equal torchvision\'s for 256/0.5, 512/0.25, 16/0.25, 0/0.5, 10/1.0', () => {
    checkSampler(fixture.sampler);
  });
});

describe('BalancedPositiveNegativeSampler by hand', () => {
  // 6 positives (labels >= 1), 10 negatives (0), 4 ignored (-1).
  const labels = [1, 0, 0, -1, 2, 0, 0, 1, 0, -1, 0, 3, 0, 0, 1, -1, 0, 1, -1, 0];

  it('takes min(#pos, int(B f)) positives and min(#neg, B - numPos) negatives, never ignored entries', () => {
    const s = new BalancedPositiveNegativeSampler(8, 0.25, { seed: 5 });
    const { positive, negative } = s.sampleMasks(labels);
    expect([count(positive), count(negative)]).toEqual([2, 6]);
    positive.forEach((v, i) => v && expect(labels[i]).toBeGreaterThanOrEqual(1));
    negative.forEach((v, i) => v && expect(labels[i]).toBe(0));
    // Too few positives: the rest of the batch is negatives, capped by how many there are.
    const many = new BalancedPositiveNegativeSampler(30, 0.5, { seed: 5 }).sampleMasks(labels);
    expect([count(many.positive), count(many.negative)]).toEqual([6, 10]);
  });

  it('int(B f) truncates: 10 * 0.35 = 3.5 -> 3 positives', () => {
    const { positive } = new BalancedPositiveNegativeSampler(10, 0.35).sampleMasks(labels);
    expect(count(positive)).toBe(3);
  });

  it('is reproducible for a seed and varies across seeds', () => {
    const a = new BalancedPositiveNegativeSampler(8, 0.25, { seed: 1 }).sampleMasks(labels);
    const b = new BalancedPositiveNegativeSampler(8, 0.25, { seed: 1 }).sampleMasks(labels);
    expect(b).toEqual(a);
    const seen = new Set([1, 2, 3, 4, 5, 6].map((seed) => Array.from(new BalancedPositiveNegativeSampler(8, 0.25, { seed }).sampleMasks(labels).negative).join('')));
    expect(seen.size).toBeGreaterThan(1);
  });

  it('the randperm hook picks the given indices: the first numPos of the positives\' permutation', () => {
    const draws = [[5, 4, 3, 2, 1, 0], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]];
    const s = new BalancedPositiveNegativeSampler(4, 0.5, { randperm: () => draws.shift()! });
    const { positive, negative } = s.sample([tf.tensor1d(labels, 'int32')]);
    const where = (t: tf.Tensor1D) => Array.from(t.dataSync()).flatMap((v, i) => (v ? [i] : []));
    // Positives are at 0, 4, 7, 11, 14, 17: perm [5, 4] -> 17, 14. Negatives' 9th and 10th: 19, 16.
    expect(where(positive[0])).toEqual([14, 17]);
    expect(where(negative[0])).toEqual([16, 19]);
  });
});

describe('input checks', () => {
  it('names the op, the argument and the bad value', () => {
    expect(() => new BalancedPositiveNegativeSampler(256, 1.5)).toThrow('BalancedPositiveNegativeSampler: positiveFraction must be in [0, 1], got 1.5');
    expect(() => new BalancedPositiveNegativeSampler(256, NaN)).toThrow('BalancedPositiveNegativeSampler: positiveFraction must be in [0, 1], got NaN');
    expect(() => new BalancedPositiveNegativeSampler(-1, 0.5)).toThrow('BalancedPositiveNegativeSampler: batchSizePerImage must be an integer >= 0, got -1');
    const bad = new BalancedPositiveNegativeSampler(4, 0.5, { randperm: (n) => new Int32Array(n + 1) });
    expect(() => bad.sampleMasks([1, 0])).toThrow('BalancedPositiveNegativeSampler: randperm(1) must return 1 indices, got 2');
  });
});

describe('tensor leaks', () => {
  it('sample leaves only its masks', () => {
    const l = tf.tensor1d([1, 0, -1, 0], 'int32');
    const before = tf.memory().numTensors;
    const { positive, negative } = new BalancedPositiveNegativeSampler(2, 0.5).sample([l]);
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose([...positive, ...negative]);
    expect(tf.memory().numTensors).toBe(before);
    l.dispose();
  });
});
