import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { initBackend } from '../backend.js';
import { groupedConv2dFast, groupedConv2dReference, type Conv2dOpOptions } from '../ops/conv2d.js';
import { tensorflowConvAttrs } from './tensorflow-grouped-conv.js';
import { relativeMaxDiff, seededValues } from './test-util.js';

function installed(pkg: string): boolean {
  try {
    createRequire(__filename).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

const tfjsNode = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'].find(installed);
const describeNative = tfjsNode ? describe : describe.skip;

describe('TensorFlow Conv2D attributes for a grouped convolution', () => {
  it('passes PyTorch pads as explicit NHWC paddings, strides and dilations in NHWC order', () => {
    const binding = { TF_ATTR_INT: 1, TF_ATTR_STRING: 2, TF_ATTR_BOOL: 3, TF_ATTR_TYPE: 4, TF_FLOAT: 9 };
    const attrs = tensorflowConvAttrs({ strides: [2, 1], pad: [1, 2, 3, 4], dilations: [1, 3], groups: 32 }, binding);
    expect(Object.fromEntries(attrs.map((a) => [a.name, a.value]))).toEqual({
      T: 9,
      strides: [1, 2, 1, 1],
      use_cudnn_on_gpu: true,
      padding: 'EXPLICIT',
      explicit_paddings: [0, 0, 1, 2, 3, 4, 0, 0],
      data_format: 'NHWC',
      dilations: [1, 1, 3, 1],
    });
  });
});

// Runs only where @tensorflow/tfjs-node(-gpu) is installed (an optional peer; not on CI).
describeNative(`grouped convolution on the tensorflow backend (${tfjsNode ?? 'skipped: @tensorflow/tfjs-node is not installed'})`, () => {
  beforeAll(async () => {
    await initBackend({ backend: 'tensorflow', report: false });
  });

  const cases: [string, number[], number[], Conv2dOpOptions][] = [
    ['groups 32, stride 1', [2, 6, 6, 64], [3, 3, 2, 64], { strides: [1, 1], pad: [[1, 1], [1, 1]], dilations: [1, 1], groups: 32 }],
    ['groups 2, stride 2, asymmetric pad', [1, 9, 8, 8], [3, 3, 4, 6], { strides: [2, 2], pad: [[0, 1], [1, 1]], dilations: [1, 1], groups: 2 }],
    ['groups 4, dilation 2', [1, 8, 8, 16], [3, 3, 4, 8], { strides: [1, 1], pad: [[2, 2], [2, 2]], dilations: [2, 2], groups: 4 }],
  ];

  it.each(cases)('%s: forward and both gradients equal split/concat', (_, xShape, fShape, opts) => {
    const x = tf.tensor4d(seededValues(xShape.reduce((a, b) => a * b), 1), xShape as [number, number, number, number]);
    const f = tf.tensor4d(seededValues(fShape.reduce((a, b) => a * b), 2), fShape as [number, number, number, number]);
    const before = tf.memory().numTensors;
    const grads = (conv: typeof groupedConv2dFast) => {
      const y = conv(x, f, opts);
      const [dx, df] = tf.grads((xx: tf.Tensor, ff: tf.Tensor) => tf.sum(tf.square(conv(xx as tf.Tensor4D, ff as tf.Tensor4D, opts))))([x, f]);
      return [y, dx, df];
    };
    const got = grads(groupedConv2dFast);
    const want = grads(groupedConv2dReference);
    got.forEach((g, i) => expect(relativeMaxDiff(g.dataSync(), want[i].dataSync())).toBeLessThan(1e-5));
    tf.dispose([...got, ...want]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, f]);
  });
});
