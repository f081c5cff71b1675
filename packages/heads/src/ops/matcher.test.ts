import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { Matcher } from './matcher.js';
import { loadBoxOpsFixture } from './__tests__/box-fixture.js';
import { checkMatcher } from './__tests__/box-checks.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

const fixture = loadBoxOpsFixture();
const host = (rows: number[][]) => ({ m: new Float32Array(rows.flat()), g: rows.length, n: rows[0]?.length ?? 0 });

describe('Matcher against torchvision 0.14', () => {
  it('matches equal the fixture: IoU of gts vs anchors (duplicate gts, tied anchors, a gt overlapping nothing) and a crafted matrix at the thresholds, four configurations', () => {
    checkMatcher(fixture.matcher);
  });
});

describe('Matcher by hand', () => {
  const rows = [
    [0.9, 0.4, 0.1],
    [0.5, 0.6, 0.2],
  ];

  it('best gt per prediction, -2 between the thresholds, -1 below', () => {
    const { m, g, n } = host(rows);
    expect(Array.from(new Matcher(0.7, 0.3).matchIndices(m, g, n))).toEqual([0, -2, -1]);
  });

  it('low-quality matches give a gt its best prediction back', () => {
    const { m, g, n } = host(rows);
    expect(Array.from(new Matcher(0.7, 0.3, true).matchIndices(m, g, n))).toEqual([0, 1, -1]);
  });

  it('ties across gts take the first gt', () => {
    const { m, g, n } = host([[0.8], [0.8]]);
    expect(Array.from(new Matcher(0.5, 0.5).matchIndices(m, g, n))).toEqual([0]);
  });

  it('a gt whose best is 0 ties with every prediction it misses, which then get their own best gt back', () => {
    const { m, g, n } = host([
      [0.2, 0],
      [0, 0],
    ]);
    expect(Array.from(new Matcher(0.7, 0.3, true).matchIndices(m, g, n))).toEqual([0, 0]);
    expect(Array.from(new Matcher(0.7, 0.3, false).matchIndices(m, g, n))).toEqual([-1, -1]);
  });

  it('thresholds compare in float32: float32(0.7) < 0.7 still reaches highThreshold 0.7', () => {
    const v = Math.fround(0.7);
    expect(v).toBeLessThan(0.7);
    expect(Array.from(new Matcher(0.7, 0.3).matchIndices(new Float32Array([v]), 1, 1))).toEqual([0]);
  });

  it('no gt: every prediction is BELOW_LOW_THRESHOLD (background); no predictions: empty', () => {
    const matcher = new Matcher(0.7, 0.3, true);
    const none = matcher.match(tf.zeros([0, 5]) as tf.Tensor2D);
    expect(none.dtype).toBe('int32');
    expect(Array.from(none.dataSync())).toEqual([-1, -1, -1, -1, -1]);
    expect(matcher.match(tf.zeros([3, 0]) as tf.Tensor2D).shape).toEqual([0]);
    expect([Matcher.BELOW_LOW_THRESHOLD, Matcher.BETWEEN_THRESHOLDS, matcher.BELOW_LOW_THRESHOLD]).toEqual([-1, -2, -1]);
  });
});

describe('input checks', () => {
  it('names the op, the argument and the bad value', () => {
    expect(() => new Matcher(0.3, 0.7)).toThrow('Matcher: lowThreshold must be <= highThreshold, got 0.7 > 0.3');
    expect(() => new Matcher(NaN, 0.3)).toThrow('Matcher: highThreshold must be a number, got NaN');
    expect(() => new Matcher(0.7, 0.3).match(tf.zeros([3]) as unknown as tf.Tensor2D)).toThrow('Matcher.match: matchQualityMatrix must have shape [M, N], got [3]');
    expect(() => new Matcher(0.7, 0.3).matchIndices(new Float32Array(5), 2, 3)).toThrow('Matcher.match: matrix must hold 2 x 3 = 6 values, got 5');
  });
});

describe('tensor leaks', () => {
  it('match leaves only its result', () => {
    const m = tf.tensor2d([[0.9, 0.1]]);
    const before = tf.memory().numTensors;
    const out = new Matcher(0.5, 0.4, true).match(m);
    expect(tf.memory().numTensors).toBe(before + 1);
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });
});
