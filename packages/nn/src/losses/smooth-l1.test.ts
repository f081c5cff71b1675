import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { initBackend } from '../backend.js';
import { smoothL1Loss } from './smooth-l1.js';
import { mismatch, readJsonFixture } from '../testing/torch-reference.js';
import { flat, runSmoothL1Case, type LossFixture } from '../testing/loss-cases.js';

const fixture = readJsonFixture<LossFixture>(join(__dirname, 'testdata', 'losses.json'));

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

describe('smoothL1Loss by hand', () => {
  // d = input - target = [0.5, -2, 0, 1/18]
  const input = tf.tensor1d([1.5, -1, 3, 1 / 18]);
  const target = tf.tensor1d([1, 1, 3, 0]);

  it('is 0.5 d^2 / beta inside beta and |d| - beta / 2 outside', () => {
    expect(mismatch(values(smoothL1Loss(input, target, { reduction: 'none' })), [0.125, 1.5, 0, 0.5 / 324])).toBeNull();
    const beta = 1 / 9;
    expect(mismatch(values(smoothL1Loss(input, target, { beta, reduction: 'none' })), [0.5 - 1 / 18, 2 - 1 / 18, 0, (0.5 * (1 / 324)) / beta])).toBeNull();
    expect(smoothL1Loss(input, target, { beta, reduction: 'sum' }).dataSync()[0]).toBeCloseTo(0.5 - 1 / 18 + 2 - 1 / 18 + 0.5 / 36, 6);
    expect(smoothL1Loss(input, target).dataSync()[0]).toBeCloseTo((0.125 + 1.5 + 0.5 / 324) / 4, 6);
  });

  it('is L1 exactly at beta 0', () => {
    expect(values(smoothL1Loss(input, target, { beta: 0, reduction: 'none' }))).toEqual([0.5, 2, 0, Math.fround(1 / 18)]);
  });

  it("has gradient d / beta inside, sign(d) outside, and torch's -1 at d = 0 with beta 0", () => {
    const grad = (beta: number) => values(tf.grad((x: tf.Tensor) => smoothL1Loss(x, target, { beta, reduction: 'sum' }))(input));
    expect(mismatch(grad(1), [0.5, -1, 0, 1 / 18])).toBeNull();
    expect(mismatch(grad(0), [1, -1, -1, 1])).toBeNull();
  });

  it('leaks no tensor, forward or backward', () => {
    const before = tf.memory().numTensors;
    smoothL1Loss(input, target, { beta: 0.5 }).dispose();
    smoothL1Loss(input, target, { beta: 0, reduction: 'none' }).dispose();
    tf.grad((x: tf.Tensor) => smoothL1Loss(x, target, { beta: 0.5 }))(input).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad input with one line naming the argument', () => {
    expect(() => smoothL1Loss(input, target, { beta: -1 })).toThrow('smoothL1Loss: beta must be a finite number >= 0, got -1');
    expect(() => smoothL1Loss(input, tf.zeros([3]))).toThrow('smoothL1Loss: input [4] and target [3] differ');
    expect(() => smoothL1Loss(input, target, { reduction: 'elementwise' as 'none' })).toThrow("smoothL1Loss: reduction must be 'mean', 'sum' or 'none', got 'elementwise'");
  });
});

describe('smoothL1Loss against torch 1.13 (fixture from tools/reference/losses.py)', () => {
  it('covers beta 1/9, 1 and 0 in every reduction, with d = 0 and |d| = beta', () => {
    expect(fixture.smoothL1.map((c) => c.options.beta)).toContain(0);
    expect(fixture.smoothL1.length).toBe(12);
  });
  for (const c of fixture.smoothL1) {
    it(`${c.name}: value and gradient`, () => {
      const ours = runSmoothL1Case(c);
      expect(mismatch(ours.loss, flat(c.loss))).toBeNull();
      expect(mismatch(ours.grad, flat(c.grad))).toBeNull();
    });
  }
});
