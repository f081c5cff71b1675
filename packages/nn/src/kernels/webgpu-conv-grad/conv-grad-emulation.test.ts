import * as tf from '@tensorflow/tfjs-core';
import '../../gradients.js';
import { initBackend } from '../../backend.js';
import { conv2d } from '../../ops/conv2d.js';
import { relativeMaxDiff, seededValues } from '../test-util.js';
import { convGradGeometry, planFilterGrad, planInputGrad } from './conv-grad-geometry.js';
import { emulateFilterGrad, emulateInputGrad } from './conv-grad-emulation.js';
import { ZOO_CASES, type ConvGradCase } from './zoo-cases.js';

// The shaders' tile loops and index functions, run in TypeScript, against tf.grad on the cpu
// backend (tfjs' own gradients for dense and depthwise convolutions, tfvision's grouped ones).
beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

function reference(k: ConvGradCase, x: Float32Array, w: Float32Array, dyValues: Float32Array): { dx: Float32Array; dw: Float32Array; dyShape: number[] } {
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, k.x);
    const wt = tf.tensor4d(w, k.filter);
    const [t, b, l, r] = k.conv.pad;
    const opts = { strides: k.conv.strides, dilations: k.conv.dilations, pad: [[t, b], [l, r]] as [[number, number], [number, number]], groups: k.conv.groups };
    const yShape = conv2d(xt, wt, opts).shape;
    const dy = tf.tensor4d(dyValues.subarray(0, yShape.reduce((p, q) => p * q, 1)), yShape);
    const [dx, dw] = tf.grads((a: tf.Tensor, f: tf.Tensor) => tf.sum(tf.mul(conv2d(a as tf.Tensor4D, f as tf.Tensor4D, opts), dy)))([xt, wt]);
    return { dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array, dyShape: yShape };
  });
}

describe('webgpu conv-gradient programs, emulated on the cpu', () => {
  it.each(ZOO_CASES.map((k) => [k.name, k] as const))('%s: dx and dW equal tf.grad on the cpu backend', (_name, k) => {
    const x = seededValues(k.x.reduce((p, q) => p * q, 1), 11);
    const w = seededValues(k.filter.reduce((p, q) => p * q, 1), 12);
    const dyAll = seededValues(k.x.reduce((p, q) => p * q, 1) * 4, 13);
    const before = tf.memory().numTensors;
    const ref = reference(k, x, w, dyAll);
    expect(tf.memory().numTensors).toBe(before);
    const dy = dyAll.subarray(0, ref.dyShape.reduce((p, q) => p * q, 1));
    const g = convGradGeometry('test', k.x, k.filter, ref.dyShape, k.conv);
    expect(relativeMaxDiff(emulateInputGrad(g, dy, w), ref.dx)).toBeLessThan(1e-5);
    expect(relativeMaxDiff(emulateFilterGrad(g, x, dy), ref.dw)).toBeLessThan(1e-5);
    // Split-K with a ragged last split: the partial sums and their reduction.
    const m = g.batch * g.outH * g.outW;
    const plan = planFilterGrad(g, 3);
    // Splits are whole k-steps (16 for the GEMM), so m <= 16 stays one split.
    expect(plan.splits > 1).toBe(plan.kind === 'depthwise' || m > 16);
    expect((plan.splits - 1) * plan.launch.splitLen).toBeLessThan(m);
    expect(relativeMaxDiff(emulateFilterGrad(g, x, dy, 3), ref.dw)).toBeLessThan(1e-5);
  });

  it('plans the tiles and splits a GPU-sized shape as intended', () => {
    // resnet50d stage 1 3x3 at batch 8: 3x3x64x64, m = 8*56*56.
    const dense = convGradGeometry('test', [8, 56, 56, 64], [3, 3, 64, 64], [8, 56, 56, 64], { strides: [1, 1], dilations: [1, 1], pad: [1, 1, 1, 1], groups: 1 });
    const f = planFilterGrad(dense);
    expect(f.kind).toBe('gemm');
    // 576 rows -> 9 row tiles, one 64-wide column tile; ~1024 workgroups would want 114 splits,
    // the 256-long minimum split allows 25088 / 256 = 98.
    expect(f.dispatch).toEqual([1, 9, 98]);
    expect(f.launch.splitLen % 16).toBe(0);
    expect(f.splits * f.launch.splitLen).toBeGreaterThanOrEqual(8 * 56 * 56);
    const i = planInputGrad(dense);
    expect(i.dispatch).toEqual([1, (8 * 56 * 56) / 64, 1]);
    // ResNeXt 32x4d stage 1: 4 channels per group use 4-wide column tiles, 32 groups side by side.
    const grouped = convGradGeometry('test', [8, 56, 56, 128], [3, 3, 4, 128], [8, 56, 56, 128], { strides: [1, 1], dilations: [1, 1], pad: [1, 1, 1, 1], groups: 32 });
    const gf = planFilterGrad(grouped);
    expect(gf.kind === 'gemm' && gf.tiling.tileJ).toBe(4);
    expect(gf.dispatch.slice(0, 2)).toEqual([32, 1]);
    // EfficientNet's first depthwise 3x3 at 112x112: one thread per (tap, channel), m split.
    const dw = convGradGeometry('test', [8, 112, 112, 32], [3, 3, 1, 32], [8, 112, 112, 32], { strides: [1, 1], dilations: [1, 1], pad: [1, 1, 1, 1], groups: 32 });
    const df = planFilterGrad(dw);
    expect(df.kind).toBe('depthwise');
    expect(df.dispatch.slice(0, 2)).toEqual([1, 9]);
    expect(df.splits).toBe(Math.ceil((8 * 112 * 112) / df.launch.splitLen));
    expect(df.splits).toBeGreaterThan(100);
  });

  it('rejects a dy that does not match the convolution', () => {
    expect(() => convGradGeometry('Conv2DBackpropFilter', [1, 8, 8, 4], [3, 3, 4, 4], [1, 7, 8, 4], { strides: [1, 1], dilations: [1, 1], pad: [1, 1, 1, 1], groups: 1 })).toThrow(
      'Conv2DBackpropFilter: dy shape [1, 7, 8, 4] does not match the output [1, 8, 8, 4] of x [1, 8, 8, 4] and filter [3, 3, 4, 4]',
    );
    expect(() => convGradGeometry('TfvGroupedConv2DBackpropInput', [1, 8, 8, 6], [3, 3, 2, 4], [1, 8, 8, 4], { strides: [1, 1], dilations: [1, 1], pad: [1, 1, 1, 1], groups: 4 })).toThrow(
      'TfvGroupedConv2DBackpropInput: groups=4 does not fit in=6, filter in per group=2, out=4',
    );
  });
});
