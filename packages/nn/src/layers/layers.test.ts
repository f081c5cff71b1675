import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Conv2d } from './conv.js';
import { BatchNorm2d } from './batchnorm.js';
import { batchNormTrain } from './batchnorm-train.js';
import { AvgPool2d, MaxPool2d } from './pool.js';
import { Linear } from './linear.js';
import { hardSigmoid, hardSwish, silu } from './activation.js';
import { resolvePadding } from '../ops/padding.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function arr(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

describe('Conv2d', () => {
  it('computes a 3x3 grouped conv (2 groups) by hand', () => {
    // Input 1x3x3x2: channel 0 = 1..9, channel 1 = all 1. Out channels 2 (one per group).
    const x = tf.tensor4d(Array.from({ length: 9 }, (_, i) => [i + 1, 1]).flat(), [1, 3, 3, 2]);
    const conv = new Conv2d({ inChannels: 2, outChannels: 2, kernelSize: 3, groups: 2, padding: 1 });
    // Group 0 filter: all ones; group 1 filter: centre 2, elsewhere 0.
    const w = new Float32Array(3 * 3 * 1 * 2);
    for (let k = 0; k < 9; k++) {
      w[k * 2 + 0] = 1;
      w[k * 2 + 1] = k === 4 ? 2 : 0;
    }
    conv.weight.assign(tf.tensor4d(w, [3, 3, 1, 2]));
    const y = conv.forward(x);
    expect(y.shape).toEqual([1, 3, 3, 2]);
    const out = arr(y);
    // Group 0 = box sum of channel 0 with zero padding; group 1 = 2 * channel 1.
    const box = [12, 21, 16, 27, 45, 33, 24, 39, 28];
    expect(out.filter((_, i) => i % 2 === 0)).toEqual(box);
    expect(out.filter((_, i) => i % 2 === 1)).toEqual(Array(9).fill(2));
  });

  it('pads symmetrically by default and asymmetrically with TF "same"', () => {
    // 4x4 input, 3x3 kernel, stride 2. PyTorch padding 1 starts windows at -1; TF same pads (0, 1).
    expect(resolvePadding(1, 4, 4, [3, 3], [2, 2], [1, 1])).toEqual([[1, 1], [1, 1]]);
    expect(resolvePadding('same', 4, 4, [3, 3], [2, 2], [1, 1])).toEqual([[0, 1], [0, 1]]);
    expect(resolvePadding('same', 5, 5, [3, 3], [2, 2], [1, 1])).toEqual([[1, 1], [1, 1]]);
    const x = tf.tensor4d(Array.from({ length: 16 }, (_, i) => i + 1), [1, 4, 4, 1]);
    const torchStyle = new Conv2d({ inChannels: 1, outChannels: 1, kernelSize: 3, stride: 2 });
    const tfStyle = new Conv2d({ inChannels: 1, outChannels: 1, kernelSize: 3, stride: 2, padding: 'same' });
    for (const c of [torchStyle, tfStyle]) c.weight.assign(tf.ones([3, 3, 1, 1]));
    // torch: windows centred at (0,0),(0,2),(2,0),(2,2).
    expect(arr(torchStyle.forward(x))).toEqual([1 + 2 + 5 + 6, 2 + 3 + 4 + 6 + 7 + 8, 5 + 6 + 9 + 10 + 13 + 14, 6 + 7 + 8 + 10 + 11 + 12 + 14 + 15 + 16]);
    // TF same: windows centred at (1,1),(1,3),(3,1),(3,3).
    expect(arr(tfStyle.forward(x))).toEqual([1 + 2 + 3 + 5 + 6 + 7 + 9 + 10 + 11, 3 + 4 + 7 + 8 + 11 + 12, 9 + 10 + 11 + 13 + 14 + 15, 11 + 12 + 15 + 16]);
  });

  it('supports dilation with stride 2 (which tfjs refuses natively)', () => {
    const x = tf.tensor4d(Array.from({ length: 25 }, (_, i) => i), [1, 5, 5, 1]);
    const c = new Conv2d({ inChannels: 1, outChannels: 1, kernelSize: 3, stride: 2, dilation: 2, bias: true });
    c.weight.assign(tf.ones([3, 3, 1, 1]));
    c.bias!.assign(tf.tensor1d([0.5]));
    // padding 2, dilation 2: output 3x3; centre output (1,1) sums rows/cols {0,2,4} of the input.
    const y = c.forward(x);
    expect(y.shape).toEqual([1, 3, 3, 1]);
    const centre = [0, 2, 4].flatMap((r) => [0, 2, 4].map((col) => r * 5 + col)).reduce((a, b) => a + b, 0);
    expect(arr(y)[4]).toBeCloseTo(centre + 0.5, 5);
  });

  it('depthwise conv (groups = channels) equals per-channel convolution', () => {
    const x = tf.randomNormal([1, 4, 4, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const dw = new Conv2d({ inChannels: 3, outChannels: 3, kernelSize: 3, groups: 3 });
    const y = dw.forward(x);
    for (let c = 0; c < 3; c++) {
      const xc = tf.slice(x, [0, 0, 0, c], [1, 4, 4, 1]) as tf.Tensor4D;
      const wc = tf.slice(dw.weight, [0, 0, 0, c], [3, 3, 1, 1]) as tf.Tensor4D;
      const ref = tf.conv2d(xc, wc, 1, [[0, 0], [1, 1], [1, 1], [0, 0]]);
      const got = tf.slice(y, [0, 0, 0, c], [1, 4, 4, 1]);
      expect(tf.max(tf.abs(tf.sub(ref, got))).dataSync()[0]).toBeLessThan(1e-5);
    }
  });

  it('rejects channel counts not divisible by groups', () => {
    expect(() => new Conv2d({ inChannels: 6, outChannels: 4, kernelSize: 3, groups: 4 })).toThrow(/divisible by groups=4/);
  });
});

describe('BatchNorm2d', () => {
  it('normalises with batch statistics in training and updates running stats (unbiased var)', () => {
    const bn = new BatchNorm2d({ numFeatures: 1, momentum: 0.1 });
    const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const y = arr(bn.forward(x));
    // mean 2.5, biased var 1.25.
    const sd = Math.sqrt(1.25 + 1e-5);
    [1, 2, 3, 4].forEach((v, i) => expect(y[i]).toBeCloseTo((v - 2.5) / sd, 5));
    expect(arr(bn.runningMean)[0]).toBeCloseTo(0.25, 6);
    // unbiased var 5/3; running = 0.9 * 1 + 0.1 * 5/3.
    expect(arr(bn.runningVar)[0]).toBeCloseTo(0.9 + 0.1 * (5 / 3), 6);
    expect(arr(bn.numBatchesTracked)[0]).toBe(1);
  });

  it('training forward and gradients (x, gamma, beta) equal autodiff of the textbook formula', () => {
    const seeded = (shape: number[], seed: number) => tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b) }, (_, i) => Math.sin(i * 1.37 + seed) * (1 + (i % 5))), shape);
    const x = seeded([2, 3, 4, 5], 0.3) as tf.Tensor4D;
    const gamma = seeded([5], 1.1) as tf.Tensor1D;
    const beta = seeded([5], 2.9) as tf.Tensor1D;
    const r = seeded([2, 3, 4, 5], 4.2);
    const textbook = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(xx, [0, 1, 2]);
      return tf.add(tf.mul(tf.div(tf.sub(xx, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b);
    };
    const fused = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const out = batchNormTrain(xx as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5);
      tf.dispose([out.mean, out.variance]);
      return out.y;
    };
    const loss = (f: typeof textbook) => (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(xx, g, b), r));
    const want = tf.grads(loss(textbook))([x, gamma, beta]);
    const got = tf.grads(loss(fused))([x, gamma, beta]);
    const maxRel = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / Math.max(1e-12, tf.max(tf.abs(a)).dataSync()[0]);
    expect(maxRel(textbook(x, gamma, beta), fused(x, gamma, beta))).toBeLessThan(1e-5);
    for (let i = 0; i < 3; i++) expect(maxRel(want[i], got[i])).toBeLessThan(1e-5);
    const stats = batchNormTrain(x, gamma, beta, 1e-5);
    expect(Array.from(stats.mean.dataSync())).toEqual(Array.from(tf.mean(x, [0, 1, 2]).dataSync()));
  });

  it('stays accurate when |mean| >> std (x is centred before scaling)', () => {
    // Channel values 1000 + 0.01 * k (std ~0.016); the float64 reference uses the float32 inputs.
    const vals = [1000, 1000.01, 1000.02, 1000.03, 999.99, 999.98].map(Math.fround);
    const x = tf.tensor4d(vals, [1, 2, 3, 1]);
    const g = tf.tensor1d([2]);
    const b = tf.tensor1d([0.5]);
    const dyVals = [0.3, -0.2, 0.1, 0.4, -0.5, 0.25];
    const dy = tf.tensor4d(dyVals, [1, 2, 3, 1]);
    const n = vals.length;
    const mean = vals.reduce((a, v) => a + v, 0) / n;
    const variance = vals.reduce((a, v) => a + (v - mean) ** 2, 0) / n;
    const inv = 1 / Math.sqrt(variance + 1e-5);
    const xhat = vals.map((v) => (v - mean) * inv);
    const sumDy = dyVals.reduce((a, v) => a + v, 0);
    const sumDyXhat = dyVals.reduce((a, v, i) => a + v * xhat[i], 0);
    const wantY = xhat.map((v) => 2 * v + 0.5);
    const wantDx = dyVals.map((d, i) => 2 * inv * (d - sumDy / n - (xhat[i] * sumDyXhat) / n));
    const [dx, dgamma] = tf.grads((xx: tf.Tensor, gg: tf.Tensor) => {
      const out = batchNormTrain(xx as tf.Tensor4D, gg as tf.Tensor1D, b, 1e-5);
      tf.dispose([out.mean, out.variance]);
      return tf.sum(tf.mul(out.y, dy));
    })([x, g]);
    const out = batchNormTrain(x, g, b, 1e-5);
    // Measured: centred 1e-7; expanding x * scale - mean * scale loses 5e-3 in y and 8e-4 in dx.
    Array.from(out.y.dataSync()).forEach((v, i) => expect(Math.abs(v - wantY[i])).toBeLessThan(1e-4));
    const scaleDx = Math.max(...wantDx.map(Math.abs));
    Array.from(dx.dataSync()).forEach((v, i) => expect(Math.abs(v - wantDx[i]) / scaleDx).toBeLessThan(1e-4));
    expect(Math.abs(dgamma.dataSync()[0] - sumDyXhat) / Math.abs(sumDyXhat)).toBeLessThan(1e-4);
  });

  it('a training step through BN leaks no tensors', () => {
    const bn = new BatchNorm2d({ numFeatures: 3 });
    const x = tf.randomNormal([2, 4, 4, 3]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(bn.forward(x))) as tf.Scalar, [bn.weight, bn.bias]);
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('uses running statistics in eval mode and when frozen', () => {
    const bn = new BatchNorm2d({ numFeatures: 2 });
    bn.runningMean.assign(tf.tensor1d([1, -1]));
    bn.runningVar.assign(tf.tensor1d([4, 0.25]));
    bn.weight.assign(tf.tensor1d([2, 1]));
    bn.bias.assign(tf.tensor1d([0.5, 0]));
    bn.eval();
    const x = tf.tensor4d([3, 0], [1, 1, 1, 2]);
    const y = arr(bn.forward(x));
    expect(y[0]).toBeCloseTo((2 * (3 - 1)) / Math.sqrt(4 + 1e-5) + 0.5, 5);
    expect(y[1]).toBeCloseTo((0 + 1) / Math.sqrt(0.25 + 1e-5), 5);
    bn.train();
    bn.setFrozen(true);
    expect(arr(bn.forward(x))).toEqual(y);
    expect(bn.weight.trainable).toBe(false);
  });
});

describe('pools', () => {
  const x = tf.tensor4d(Array.from({ length: 9 }, (_, i) => i + 1), [1, 3, 3, 1]);

  it('AvgPool2d counts padding like PyTorch by default (count_include_pad=True)', () => {
    const y = arr(new AvgPool2d({ kernelSize: 3, stride: 2, padding: 1 }).forward(x));
    // Top-left window covers 1,2,4,5 and 5 padded zeros: 12/9.
    expect(y[0]).toBeCloseTo(12 / 9, 6);
    expect(y[3]).toBeCloseTo((5 + 6 + 8 + 9) / 9, 6);
  });

  it('AvgPool2d ceil_mode without padding counts only real cells (ResNet-D avg-down)', () => {
    const y = new AvgPool2d({ kernelSize: 2, stride: 2, ceilMode: true, countIncludePad: false }).forward(x);
    expect(y.shape).toEqual([1, 2, 2, 1]);
    expect(arr(y)).toEqual([3, 4.5, 7.5, 9]);
  });

  it('MaxPool2d pads with -inf and matches PyTorch (k3 s2 p1)', () => {
    const neg = tf.neg(x) as tf.Tensor4D;
    const y = new MaxPool2d({ kernelSize: 3, stride: 2, padding: 1 }).forward(neg);
    // Windows at rows/cols {-1..1, 1..3}: the max of each is its top-left real cell.
    expect(arr(y)).toEqual([-1, -2, -4, -5]);
  });
});

describe('Linear and activations', () => {
  it('Linear computes xW + b', () => {
    const l = new Linear({ inFeatures: 2, outFeatures: 1 });
    l.weight.assign(tf.tensor2d([[2], [3]]));
    l.bias!.assign(tf.tensor1d([1]));
    expect(arr(l.forward(tf.tensor2d([[1, 1]])))).toEqual([6]);
  });

  it('hard and smooth activations match their formulas', () => {
    const v = tf.tensor1d([-4, -1, 0, 2, 4]);
    expect(arr(hardSigmoid(v))).toEqual([0, 2 / 6, 0.5, 5 / 6, 1].map((n) => Math.fround(n)));
    expect(arr(hardSwish(v))[3]).toBeCloseTo((2 * 5) / 6, 6);
    expect(arr(silu(v))[3]).toBeCloseTo(2 / (1 + Math.exp(-2)), 6);
  });
});
