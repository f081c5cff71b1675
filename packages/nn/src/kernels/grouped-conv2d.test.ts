import * as tf from '@tensorflow/tfjs-core';
import '../gradients.js';
import { groupedConv2dFast, type Conv2dOpOptions } from '../ops/conv2d.js';
import { registerTfvisionKernels } from './register.js';
import { relativeMaxDiff, seededValues, useBackend } from './test-util.js';

interface Case {
  name: string;
  n: number;
  hw: [number, number];
  inC: number;
  outC: number;
  k: [number, number];
  opts: Conv2dOpOptions;
}

const p = (t: number, b: number, l: number, r: number): Conv2dOpOptions['pad'] => [[t, b], [l, r]];
const cases: Case[] = [
  { name: 'groups 1, dilation 2, symmetric pad', n: 2, hw: [7, 6], inC: 3, outC: 4, k: [3, 3], opts: { strides: [1, 1], pad: p(2, 2, 2, 2), dilations: [2, 2], groups: 1 } },
  { name: 'groups 1, stride 2, TF-same pad', n: 2, hw: [8, 7], inC: 4, outC: 5, k: [3, 3], opts: { strides: [2, 2], pad: p(0, 1, 1, 1), dilations: [1, 1], groups: 1 } },
  { name: 'groups 2, stride 1, pad 1', n: 2, hw: [6, 6], inC: 8, outC: 6, k: [3, 3], opts: { strides: [1, 1], pad: p(1, 1, 1, 1), dilations: [1, 1], groups: 2 } },
  { name: 'groups 2, stride 2, valid, 5x3 kernel', n: 1, hw: [9, 8], inC: 4, outC: 4, k: [5, 3], opts: { strides: [2, 2], pad: p(0, 0, 0, 0), dilations: [1, 1], groups: 2 } },
  { name: 'groups 32, stride 1, dilation 2', n: 2, hw: [6, 6], inC: 64, outC: 64, k: [3, 3], opts: { strides: [1, 1], pad: p(2, 2, 2, 2), dilations: [2, 2], groups: 32 } },
  { name: 'groups 32, stride 2, pad 1', n: 2, hw: [7, 7], inC: 64, outC: 128, k: [3, 3], opts: { strides: [2, 2], pad: p(1, 1, 1, 1), dilations: [1, 1], groups: 32 } },
  { name: 'groups = channels (depthwise), stride 2', n: 2, hw: [7, 8], inC: 8, outC: 8, k: [3, 3], opts: { strides: [2, 2], pad: p(1, 1, 1, 1), dilations: [1, 1], groups: 8 } },
  { name: 'groups = channels, multiplier 2, dilation 2', n: 1, hw: [8, 8], inC: 4, outC: 8, k: [3, 3], opts: { strides: [1, 1], pad: p(2, 2, 2, 2), dilations: [2, 2], groups: 4 } },
  { name: 'groups 1, stride 2 and dilation 2', n: 2, hw: [9, 8], inC: 3, outC: 4, k: [3, 3], opts: { strides: [2, 2], pad: p(2, 2, 2, 2), dilations: [2, 2], groups: 1 } },
  { name: 'groups 2, stride 2 and dilation 2 (SK transition)', n: 1, hw: [8, 8], inC: 8, outC: 8, k: [3, 3], opts: { strides: [2, 2], pad: p(2, 2, 2, 2), dilations: [2, 2], groups: 2 } },
  { name: 'depthwise, stride 2 and dilation 2', n: 1, hw: [9, 9], inC: 4, outC: 4, k: [3, 3], opts: { strides: [2, 2], pad: p(2, 2, 2, 2), dilations: [2, 2], groups: 4 } },
  { name: 'groups 4, 1x1, stride 2', n: 2, hw: [5, 5], inC: 16, outC: 8, k: [1, 1], opts: { strides: [2, 2], pad: p(0, 0, 0, 0), dilations: [1, 1], groups: 4 } },
];

interface Result {
  y: Float32Array;
  dx: Float32Array;
  dw: Float32Array;
}

function run(c: Case, conv: (x: tf.Tensor4D, f: tf.Tensor4D, o: Conv2dOpOptions) => tf.Tensor4D): Result {
  return tf.tidy(() => {
    const x = tf.tensor4d(seededValues(c.n * c.hw[0] * c.hw[1] * c.inC, 1), [c.n, c.hw[0], c.hw[1], c.inC]);
    const f = tf.tensor4d(seededValues(c.k[0] * c.k[1] * (c.inC / c.opts.groups) * c.outC, 2), [c.k[0], c.k[1], c.inC / c.opts.groups, c.outC]);
    const y = conv(x, f, c.opts);
    const dy = tf.tensor(seededValues(y.size, 3), y.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => conv(a as tf.Tensor4D, b as tf.Tensor4D, c.opts))([x, f], dy);
    return { y: y.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
  }) as unknown as Result;
}

// The split reference by slices: the tfjs umbrella's SplitV gradient fails on this build
// ("Pass at least one tensor to concat"), slices differentiate through Pad.
function sliceReference(x: tf.Tensor4D, f: tf.Tensor4D, o: Conv2dOpOptions): tf.Tensor4D {
  const cg = f.shape[2];
  const og = f.shape[3] / o.groups;
  const ys = [];
  for (let g = 0; g < o.groups; g++) {
    const xg = tf.slice(x, [0, 0, 0, g * cg], [-1, -1, -1, cg]) as tf.Tensor4D;
    const fg = tf.slice(f, [0, 0, 0, g * og], [-1, -1, -1, og]) as tf.Tensor4D;
    ys.push(tf.conv2d(xg, fg, o.strides, [[0, 0], o.pad[0], o.pad[1], [0, 0]], 'NHWC', o.dilations));
  }
  return tf.concat(ys, 3) as tf.Tensor4D;
}

// Dilated reference gradients need tfjs' own conv2d gradient, which refuses dilation; the
// reference for dilated cases is the non-dilated conv on an explicitly dilated filter.
function dilatedReference(x: tf.Tensor4D, f: tf.Tensor4D, o: Conv2dOpOptions): tf.Tensor4D {
  const [kh, kw, ci, co] = f.shape;
  const [dh, dw] = o.dilations;
  const spread = tf.reshape(
    tf.pad(tf.reshape(f, [kh, 1, kw, 1, ci, co]), [[0, 0], [0, dh - 1], [0, 0], [0, dw - 1], [0, 0], [0, 0]]),
    [kh * dh, kw * dw, ci, co],
  );
  const cropped = tf.slice(spread, [0, 0, 0, 0], [(kh - 1) * dh + 1, (kw - 1) * dw + 1, ci, co]) as tf.Tensor4D;
  return sliceReference(x, cropped, { ...o, dilations: [1, 1] });
}

const reference = (x: tf.Tensor4D, f: tf.Tensor4D, o: Conv2dOpOptions): tf.Tensor4D =>
  o.dilations[0] > 1 || o.dilations[1] > 1 ? dilatedReference(x, f, o) : sliceReference(x, f, o);

describe.each(['cpu', 'wasm'])('grouped conv kernel on %s', (backend) => {
  const expected = new Map<string, Result>();
  beforeAll(async () => {
    await useBackend('cpu');
    for (const c of cases) expected.set(c.name, run(c, reference));
    await useBackend(backend);
    registerTfvisionKernels();
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s: forward, dx, dfilter equal the split reference to 1e-5', (_name, c) => {
    const want = expected.get(c.name)!;
    const got = run(c, groupedConv2dFast);
    expect(got.y.length).toBe(want.y.length);
    expect(relativeMaxDiff(got.y, want.y)).toBeLessThan(1e-5);
    expect(relativeMaxDiff(got.dx, want.dx)).toBeLessThan(1e-5);
    expect(relativeMaxDiff(got.dw, want.dw)).toBeLessThan(1e-5);
  });

  it('leaks no tensors (forward and backward)', () => {
    const c = cases[5];
    run(c, groupedConv2dFast);
    const before = tf.memory().numTensors;
    run(c, groupedConv2dFast);
    expect(tf.memory().numTensors).toBe(before);
  });
});
