import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { BoxCoder, DEFAULT_BBOX_XFORM_CLIP } from './box-coder.js';
import { loadBoxOpsFixture } from './__tests__/box-fixture.js';
import { checkBoxCoder } from './__tests__/box-checks.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

const fixture = loadBoxOpsFixture();

describe('BoxCoder against torchvision 0.14', () => {
  it('encode/encodeSingle/decode/decodeSingle equal the fixture for weights (1,1,1,1), (10,10,5,5) and a custom clip, inf/nan from zero sizes included', () => {
    checkBoxCoder(fixture.boxCoder);
  });
});

describe('BoxCoder by hand', () => {
  it('encodes centre offsets over the proposal size and log size ratios, and decodes them back', () => {
    const coder = new BoxCoder([1, 1, 1, 1]);
    const gt = tf.tensor2d([[0, 0, 10, 10]]);
    const proposal = tf.tensor2d([[0, 0, 5, 5]]);
    const t = Array.from(coder.encodeSingle(gt, proposal).dataSync());
    expect(t[0]).toBe(0.5);
    expect(t[1]).toBe(0.5);
    expect(t[2]).toBeCloseTo(Math.log(2), 6);
    expect(t[3]).toBeCloseTo(Math.log(2), 6);
    const back = coder.decodeSingle(tf.tensor2d([t]), proposal);
    Array.from(back.dataSync()).forEach((v, i) => expect(v).toBeCloseTo([0, 0, 10, 10][i], 5));
  });

  it('clamps dw, dh above at log(1000/16) only: a width-1 box grows at most 62.5x', () => {
    expect(DEFAULT_BBOX_XFORM_CLIP).toBeCloseTo(4.135166556742356, 15);
    const coder = new BoxCoder([1, 1, 1, 1]);
    const out = Array.from(coder.decodeSingle(tf.tensor2d([[0, 0, 10, -1]]), tf.tensor2d([[0, 0, 1, 1]])).dataSync());
    expect(out[0]).toBeCloseTo(0.5 - 31.25, 3);
    expect(out[2]).toBeCloseTo(0.5 + 31.25, 3);
    expect(out[3] - out[1]).toBeCloseTo(Math.exp(-1), 6);
  });

  it('divides codes by the weights and lays K classes out as 4k..4k+3', () => {
    const coder = new BoxCoder([10, 10, 5, 5]);
    const out = coder.decodeSingle(tf.tensor2d([[0, 0, 0, 0, 10, 20, 0, 0]]), tf.tensor2d([[0, 0, 4, 2]]));
    expect(out.shape).toEqual([1, 8]);
    expect(Array.from(out.dataSync())).toEqual([0, 0, 4, 2, 4, 4, 8, 6]);
    const per = coder.decode(tf.tensor2d([[0, 0, 0, 0, 10, 20, 0, 0]]), [tf.tensor2d([[0, 0, 4, 2]])]);
    expect(per.shape).toEqual([1, 2, 4]);
  });

  it('decode of no boxes is [0, K, 4]', () => {
    expect(new BoxCoder([1, 1, 1, 1]).decode(tf.zeros([0, 8]) as tf.Tensor2D, [tf.zeros([0, 4]) as tf.Tensor2D]).shape).toEqual([0, 2, 4]);
  });
});

describe('input checks', () => {
  it('names the op, the argument and the bad value', () => {
    expect(() => new BoxCoder([1, 1, 0, 1])).toThrow('BoxCoder: weights must be 4 finite non-zero numbers, got [1, 1, 0, 1]');
    const coder = new BoxCoder([1, 1, 1, 1]);
    expect(() => coder.encodeSingle(tf.zeros([2, 3]) as tf.Tensor2D, tf.zeros([2, 4]) as tf.Tensor2D)).toThrow('BoxCoder.encodeSingle: referenceBoxes must have shape [N, 4], got [2, 3]');
    expect(() => coder.encodeSingle(tf.zeros([2, 4]) as tf.Tensor2D, tf.zeros([3, 4]) as tf.Tensor2D)).toThrow('BoxCoder.encodeSingle: referenceBoxes and proposals must have the same length, got 2 and 3');
    expect(() => coder.decodeSingle(tf.zeros([2, 6]) as tf.Tensor2D, tf.zeros([2, 4]) as tf.Tensor2D)).toThrow('BoxCoder.decodeSingle: relCodes must have shape [2, 4K], got [2, 6]');
  });
});

describe('tensor leaks', () => {
  it('encode and decode leave only their results', () => {
    const coder = new BoxCoder([10, 10, 5, 5]);
    const a = tf.tensor2d([[0, 0, 2, 2], [1, 1, 4, 3]]);
    const b = tf.tensor2d([[0, 1, 3, 3], [2, 1, 4, 4]]);
    const codes = tf.tensor2d([[0.1, 0.2, 0.3, 0.4], [0, 0, 1, 1]]);
    const none = b.slice(0, 0);
    const before = tf.memory().numTensors;
    const outs = [coder.encodeSingle(a, b), ...coder.encode([a], [b]), coder.decodeSingle(codes, b), coder.decode(codes, [a, none])];
    expect(tf.memory().numTensors).toBe(before + outs.length);
    tf.dispose(outs);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b, codes, none]);
  });
});
