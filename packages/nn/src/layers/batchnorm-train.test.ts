import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.js';
import { batchNormTrainStep } from './batchnorm-train.js';
import { BatchNorm2d } from './batchnorm.js';
import { compositeBatchNormTrain, compositeBatchNormTrainGrad } from '../kernels/fused-batchnorm/composite.js';
import { BLOCK, LANES, dxProgram, statsProgram } from '../kernels/fused-batchnorm/webgpu.js';

/** Seeded values with a per-channel offset, so |mean| differs from std across channels. */
function seeded(n: number, seed: number, offset = 0): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 1.37 + seed) * (1 + (i % 5)) + offset * ((i % 3) - 1)));
}

interface Reference {
  y: Float64Array;
  mean: Float64Array;
  variance: Float64Array;
  dx: Float64Array;
  dgamma: Float64Array;
  dbeta: Float64Array;
}

/** Textbook BatchNorm and its gradient in float64 (independent of the kernels' rearrangement). */
function reference(x: Float32Array, gamma: Float32Array, beta: Float32Array, dy: Float32Array, eps: number): Reference {
  const c = gamma.length;
  const rows = x.length / c;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let i = 0; i < x.length; i++) mean[i % c] += x[i] / rows;
  for (let i = 0; i < x.length; i++) variance[i % c] += (x[i] - mean[i % c]) ** 2 / rows;
  const xhat = Float64Array.from(x, (v, i) => (v - mean[i % c]) / Math.sqrt(variance[i % c] + eps));
  const y = Float64Array.from(xhat, (v, i) => v * gamma[i % c] + beta[i % c]);
  const dbeta = new Float64Array(c);
  const dgamma = new Float64Array(c);
  for (let i = 0; i < x.length; i++) {
    dbeta[i % c] += dy[i];
    dgamma[i % c] += dy[i] * xhat[i];
  }
  // dL/dx = gamma / std * (dy - mean(dy) - xhat * mean(dy * xhat)).
  const dx = Float64Array.from(dy, (d, i) => (gamma[i % c] / Math.sqrt(variance[i % c] + eps)) * (d - dbeta[i % c] / rows - (xhat[i] * dgamma[i % c]) / rows));
  return { y, mean, variance, dx, dgamma, dbeta };
}

/** Largest |got - want| over the input's scale: a mean near 0 is judged against |x|, not itself. */
function maxErrorOverScale(got: ArrayLike<number>, want: ArrayLike<number>, scale: number): number {
  let err = 0;
  for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
  return err / scale;
}

function maxRelError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let err = 0;
  let scale = 1e-30;
  for (let i = 0; i < want.length; i++) {
    err = Math.max(err, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return err / scale;
}

describe.each(['cpu', 'wasm'])('TfvBatchNormTrain / TfvBatchNormTrainGrad on %s', (backend) => {
  beforeAll(async () => {
    await initBackend({ backend, report: false });
  });

  const shape: [number, number, number, number] = [2, 5, 3, 7];
  const size = shape.reduce((a, b) => a * b, 1);
  const xv = seeded(size, 0.3, 40);
  const gv = seeded(7, 1.1);
  const bv = seeded(7, 2.9);
  const dyv = seeded(size, 4.2);
  const ref = reference(xv, gv, bv, dyv, 1e-5);
  const xScale = Math.max(...Array.from(xv, Math.abs));

  it('forward, statistics and gradients equal the float64 textbook formula', () => {
    const x = tf.tensor4d(xv, shape);
    const gamma = tf.tensor1d(gv);
    const beta = tf.tensor1d(bv);
    const dy = tf.tensor4d(dyv, shape);
    const before = tf.memory().numTensors;
    const out = batchNormTrainStep(x, gamma, beta, 1e-5);
    expect(out.stats.shape).toEqual([3, 7]);
    const stats = out.stats.dataSync();
    expect(maxRelError(out.y.dataSync(), ref.y)).toBeLessThan(2e-6);
    // The mean is formed as tfjs' cpu Mean forms it (a sum of float32 x / n): within float32
    // rounding of the inputs' scale.
    expect(maxErrorOverScale(stats.subarray(0, 7), ref.mean, xScale)).toBeLessThan(2e-7);
    expect(maxRelError(stats.subarray(7, 14), ref.variance)).toBeLessThan(2e-6);
    expect(maxRelError(stats.subarray(14), Array.from(ref.variance, (v) => 1 / Math.sqrt(v + 1e-5)))).toBeLessThan(2e-6);
    tf.dispose([out.y, out.stats]);
    const [dx, dgamma, dbeta] = tf.grads((xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => {
      const r = batchNormTrainStep(xx as tf.Tensor4D, gg as tf.Tensor1D, bb as tf.Tensor1D, 1e-5);
      r.stats.dispose();
      return tf.sum(tf.mul(r.y, dy));
    })([x, gamma, beta]);
    expect(maxRelError(dx.dataSync(), ref.dx)).toBeLessThan(1e-5);
    expect(maxRelError(dgamma.dataSync(), ref.dgamma)).toBeLessThan(1e-5);
    expect(maxRelError(dbeta.dataSync(), ref.dbeta)).toBeLessThan(1e-6);
    tf.dispose([dx, dgamma, dbeta]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, gamma, beta, dy]);
  });

  it('agrees with the composite kernel (tensorflow, webgl) to float32 rounding', () => {
    const x = tf.tensor4d(xv, shape);
    const gamma = tf.tensor1d(gv);
    const beta = tf.tensor1d(bv);
    const dy = tf.tensor4d(dyv, shape);
    const rm = tf.tensor1d(seeded(7, 5));
    const rv = tf.tensor1d(Float32Array.from(seeded(7, 6), Math.abs));
    const b = tf.backend();
    const attrs = { eps: 1e-5, momentum: 0.1 };
    const fused = batchNormTrainStep(x, gamma, beta, 1e-5, { mean: rm, variance: rv, momentum: 0.1 });
    const comp = compositeBatchNormTrain({ inputs: { x, gamma, beta, runningMean: rm, runningVar: rv }, attrs, backend: b }) as tf.Tensor[];
    const pairs: [tf.Tensor | undefined, tf.Tensor][] = [[fused.y, comp[0]], [fused.stats, comp[1]], [fused.runningMean, comp[2]], [fused.runningVar, comp[3]]];
    for (const [f, c] of pairs) expect(maxRelError((f as tf.Tensor).dataSync(), c.dataSync())).toBeLessThan(1e-5);
    const grads = tf.engine().runKernel('TfvBatchNormTrainGrad', { dy, x, stats: fused.stats, gamma }, {}) as tf.Tensor[];
    const compGrads = compositeBatchNormTrainGrad({ inputs: { dy, x, stats: fused.stats, gamma }, attrs: {}, backend: b }) as tf.Tensor[];
    grads.forEach((g, i) => expect(maxRelError(g.dataSync(), compGrads[i].dataSync())).toBeLessThan(1e-5));
    tf.dispose([x, gamma, beta, dy, rm, rv, fused.y, fused.stats, fused.runningMean as tf.Tensor, fused.runningVar as tf.Tensor, ...comp, ...grads, ...compGrads]);
  });

  it('updates the running statistics as PyTorch does (unbiased variance), once per batch', () => {
    const bn = new BatchNorm2d({ numFeatures: 7, momentum: 0.25 });
    const x = tf.tensor4d(xv, shape);
    const before = tf.memory().numTensors;
    tf.dispose(bn.forward(x));
    expect(tf.memory().numTensors).toBe(before);
    const rows = size / 7;
    const wantMean = Array.from(ref.mean, (m) => 0.25 * m);
    const wantVar = Array.from(ref.variance, (v) => 0.75 + 0.25 * v * (rows / (rows - 1)));
    expect(maxErrorOverScale(bn.runningMean.dataSync(), wantMean, 0.25 * xScale)).toBeLessThan(2e-7);
    expect(maxRelError(bn.runningVar.dataSync(), wantVar)).toBeLessThan(2e-6);
    expect(bn.numBatchesTracked.dataSync()[0]).toBe(1);
    bn.dispose();
    x.dispose();
  });

  it('rejects parameters of the wrong length', () => {
    const x = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
    const g = tf.ones([4]) as tf.Tensor1D;
    expect(() => batchNormTrainStep(x, g, g, 1e-5)).toThrow('batchNormTrain: gamma must be [3] for input of shape [1,2,2,3], got [4]');
    tf.dispose([x, g]);
  });
});

describe('BatchNorm WGSL programs (launch geometry; the shaders run only on a GPU)', () => {
  it('one reduction workgroup per block of channels, one elementwise thread per element', () => {
    const stats = statsProgram(2 * 56 * 56, 70);
    expect(stats.outputShape).toEqual([3, 70]);
    expect(stats.dispatch).toEqual([Math.ceil(70 / BLOCK), 1, 1]);
    expect(stats.workgroupSize).toEqual([BLOCK * LANES, 1, 1]);
    expect(stats.getUserCode()).toContain('inverseSqrt(variance + uniforms.eps)');
    const dx = dxProgram([2, 56, 56, 70]);
    expect(dx.dispatch).toEqual([Math.ceil((2 * 56 * 56 * 70) / 64), 1, 1]);
    expect(dx.variableNames).toEqual(['dy', 'x', 'stats', 'gamma', 'dgamma', 'dbeta']);
  });
});
