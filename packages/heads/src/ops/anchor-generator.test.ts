import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { AnchorGenerator, generateBaseAnchors } from './anchor-generator.js';
import { checkAnchorCase, loadFixture } from './__tests__/anchors-masks-fixture.js';

const fixture = loadFixture();

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

describe('AnchorGenerator', () => {
  it('has the FPN base anchors of DETECTION-SEMANTICS §3', () => {
    const gen = new AnchorGenerator();
    expect(gen.numAnchorsPerLocation()).toEqual([3, 3, 3, 3, 3]);
    const halfSides = [[23, 11, 16], [45, 23, 32], [91, 45, 64], [181, 91, 128], [362, 181, 256]];
    gen.cellAnchors.forEach((base, l) => {
      const [long, short, square] = halfSides[l];
      expect(Array.from(base)).toEqual([-long, -short, long, short, -square, -square, square, square, -short, -long, short, long]);
    });
  });

  it('rounds base corners half to even (1.5 -> 2, 2.5 -> 2, 3.5 -> 4)', () => {
    expect(Array.from(generateBaseAnchors([3, 5, 7], [1]))).toEqual([-2, -2, 2, 2, -2, -2, 2, 2, -4, -4, 4, 4]);
  });

  it('gives 217,413 anchors at 800x1088 with strides (61, 64) on the 13x17 level', () => {
    const gen = new AnchorGenerator();
    const feats = [[200, 272], [100, 136], [50, 68], [25, 34], [13, 17]] as const;
    expect(gen.strides([800, 1088], feats)).toEqual([[4, 4], [8, 8], [16, 16], [32, 32], [61, 64]]);
    expect(gen.numAnchorsPerLevel(feats).reduce((a, b) => a + b)).toBe(217413);
    // Last anchor: level 4, y = 12, x = 16, ratio 2: (16*64, 12*61) + (-181, -362, 181, 362).
    const host = gen.anchorsHost([800, 1088], feats);
    expect(Array.from(host.subarray(host.length - 4))).toEqual([1024 - 181, 732 - 362, 1024 + 181, 732 + 362]);
    // Second anchor of level 1 (index 54400 * 3 + 1): y = x = 0, ratio 1, size 64.
    expect(Array.from(host.subarray((54400 * 3 + 1) * 4, (54400 * 3 + 2) * 4))).toEqual([-32, -32, 32, 32]);
  });

  it.each(fixture.anchors.map((c) => [c.name, c] as const))('equals torchvision: %s', (_, c) => {
    checkAnchorCase(c);
  });

  it('forward takes NHWC tensors, returns one [sumAnchors, 4] tensor per image and leaks nothing', () => {
    const gen = new AnchorGenerator({ sizes: [[16], [32]], aspectRatios: [1] });
    const images = tf.zeros([2, 64, 48, 3]) as tf.Tensor4D;
    const feats = [tf.zeros([2, 16, 12, 4]), tf.zeros([2, 8, 6, 4])] as tf.Tensor4D[];
    const before = tf.memory().numTensors;
    const out = gen.forward(images, feats);
    expect(tf.memory().numTensors).toBe(before + 2);
    expect(out.map((t) => t.shape)).toEqual([[240, 4], [240, 4]]);
    expect(Array.from(out[1].dataSync().subarray(4 * 192, 4 * 193))).toEqual([-16, -16, 16, 16]);
    expect(Array.from(out[0].dataSync().subarray(4 * 239))).toEqual([5 * 8 - 16, 7 * 8 - 16, 5 * 8 + 16, 7 * 8 + 16]);
    tf.dispose([...out, images, ...feats]);
    expect(tf.memory().numTensors).toBe(before - 3);
  });

  it('rejects bad input with a one-line error naming the value', () => {
    expect(() => new AnchorGenerator({ sizes: [[32, -8]] })).toThrow('generateBaseAnchors: sizes must be positive and finite, got -8');
    expect(() => new AnchorGenerator({ sizes: [[32]], aspectRatios: [[0.5], [1]] })).toThrow('AnchorGenerator: aspectRatios must have one non-empty list per level (1), got [[0.5],[1]]');
    expect(() => new AnchorGenerator({ aspectRatios: [0] })).toThrow('generateBaseAnchors: aspectRatios must be positive and finite, got 0');
    const gen = new AnchorGenerator({ sizes: [[32]] });
    expect(() => gen.numAnchorsPerLevel([[4, 4], [2, 2]])).toThrow('AnchorGenerator: expected 1 feature sizes (one per level), got 2');
    expect(() => gen.strides([0, 64], [[4, 4]])).toThrow('AnchorGenerator: imageSize must be [height, width] of positive integers, got [0,64]');
    expect(() => gen.strides([64, 64], [[4.5, 4]])).toThrow('AnchorGenerator: featureSizes[0] must be [height, width] of positive integers, got [4.5,4]');
    expect(() => gen.strides([64, 64], [[65, 4]])).toThrow('AnchorGenerator: feature size 65x4 exceeds the image size 64x64');
    const x = tf.zeros([2, 3]);
    expect(() => gen.forward(x as unknown as tf.Tensor4D, [])).toThrow('AnchorGenerator: images must be a rank-4 NHWC tensor, got rank 2');
    x.dispose();
  });
});
