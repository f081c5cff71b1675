/** The segmentation loss and poly schedule against hand-computed values. */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { polyLrAt, checkPolyLr } from './poly-lr.js';
import { segmentationLoss } from './segmentation-loss.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

describe('segmentationLoss', () => {
  // One image, 1 x 3 pixels, 2 classes: logits (0, ln 3), (2, 2), (5, 0); labels 0, 1, 255.
  const out = () => tf.tensor4d([0, Math.log(3), 2, 2, 5, 0], [1, 1, 3, 2]);
  const labels = Int32Array.from([0, 1, 255]);
  // -log(1/4) and -log(1/2), mean over the two counted pixels.
  const outLoss = (Math.log(4) + Math.log(2)) / 2;

  it('is the mean cross-entropy over pixels that are not 255', () => {
    const before = tf.memory().numTensors;
    const o = out();
    const l = segmentationLoss({ out: o }, labels);
    expect(l.out.dataSync()[0]).toBeCloseTo(outLoss, 6);
    expect(l.total.dataSync()[0]).toBeCloseTo(outLoss, 6);
    expect(l.aux).toBeUndefined();
    tf.dispose([o, l.out, l.total]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('adds the auxiliary head at auxWeight (0.5 by default)', () => {
    const o = out();
    // Aux logits equal: -log(1/2) on both counted pixels.
    const aux = tf.zeros([1, 1, 3, 2]) as tf.Tensor4D;
    const l = segmentationLoss({ out: o, aux }, labels);
    expect(l.aux!.dataSync()[0]).toBeCloseTo(Math.log(2), 6);
    expect(l.total.dataSync()[0]).toBeCloseTo(outLoss + 0.5 * Math.log(2), 6);
    const l2 = segmentationLoss({ out: o, aux }, labels, { auxWeight: 0.4 });
    expect(l2.total.dataSync()[0]).toBeCloseTo(outLoss + 0.4 * Math.log(2), 6);
    tf.dispose([o, aux, l.out, l.aux!, l.total, l2.out, l2.aux!, l2.total]);
  });

  it('names a label count that does not match the logits', () => {
    const o = out();
    expect(() => segmentationLoss({ out: o }, Int32Array.from([0, 1]))).toThrow('segmentationLoss: out logits [1,1,3,2] need 3 labels, got 2');
    o.dispose();
  });
});

describe('polyLrAt', () => {
  it("follows lr (1 - t / T)^0.9 as torchvision's PolynomialLR", () => {
    const o = { baseLr: 0.02, totalSteps: 100 };
    expect(polyLrAt(o, 0)).toBe(0.02);
    expect(polyLrAt(o, 50)).toBeCloseTo(0.02 * Math.pow(0.5, 0.9), 12);
    expect(polyLrAt(o, 100)).toBe(0);
  });

  it('warms up linearly from warmupFactor, then decays over the remaining steps', () => {
    const o = { baseLr: 1, totalSteps: 110, warmupIters: 10, warmupFactor: 0.1 };
    expect(polyLrAt(o, 0)).toBeCloseTo(0.1, 12);
    expect(polyLrAt(o, 5)).toBeCloseTo(0.55, 12);
    expect(polyLrAt(o, 10)).toBe(1);
    expect(polyLrAt(o, 60)).toBeCloseTo(Math.pow(0.5, 0.9), 12);
    expect(() => checkPolyLr({ baseLr: 1, totalSteps: 10, warmupIters: 10 })).toThrow('polyLr: warmupIters must be an integer in [0, totalSteps), got 10');
  });
});
