import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { readHeadsFixture } from '../testing/fixture-compare.js';
import { rcnnImage, type RcnnImageSpec } from '../testing/rcnn-images.js';
import { batchImages } from './batch-images.js';
import { GeneralizedRCNNTransform } from './rcnn-transform.js';
import { checkEvalCase, checkPostCase, checkSummary, checkTrainCase, loadRcnnTransformFixture, type Summary } from './rcnn-transform-fixture.js';
import { resizeBoxes } from './resize-boxes.js';

const fixture = loadRcnnTransformFixture();

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

describe('GeneralizedRCNNTransform against torchvision 0.14', () => {
  it.each(fixture.eval.filter((c) => !c.slowOnly).map((c) => [c.name, c] as const))('eval: %s', (_, c) => {
    expect(checkEvalCase(c, fixture)).toBeLessThanOrEqual(1e-5);
  });

  it.each(fixture.train.map((c) => [c.name, c] as const))('train: %s', (_, c) => {
    expect(checkTrainCase(c, fixture)).toBeLessThanOrEqual(1e-5);
  });

  it.each(fixture.post.map((c) => [c.name, c] as const))('postprocess: %s', (_, c) => {
    expect(checkPostCase(c, fixture)).toBeLessThanOrEqual(1e-5);
  });

  it("equals the transform stage of fixtures/rcnn/maskrcnn_resnet50_fpn.json (rcnn.py's two images)", () => {
    const rcnn = readHeadsFixture<{ settings: { minSize: number; maxSize: number }; images: RcnnImageSpec[]; transform: { batch: Summary; imageSizes: [number, number][] } }>('rcnn/maskrcnn_resnet50_fpn.json');
    const transform = new GeneralizedRCNNTransform({ minSize: rcnn.settings.minSize, maxSize: rcnn.settings.maxSize }).eval();
    const images = rcnn.images.map(rcnnImage);
    const out = transform.forward(images);
    expect(out.images.imageSizes).toEqual(rcnn.transform.imageSizes);
    expect(checkSummary('rcnn fixture batch', out.images.tensor.dataSync(), out.images.tensor.shape, rcnn.transform.batch)).toBeLessThanOrEqual(1e-5);
    tf.dispose([out.images.tensor, ...images]);
  });
});

describe('GeneralizedRCNNTransform rules', () => {
  const image = (h: number, w: number) => tf.fill([h, w, 3], 0.5) as tf.Tensor3D;

  it('normalises by hand: 0.5 -> (0.5 - mean) / std per channel, in float32', () => {
    const t = new GeneralizedRCNNTransform();
    const x = tf.tensor3d([0.5, 0.5, 0.5], [1, 1, 3]);
    const y = t.normalize(x);
    const f = Math.fround;
    expect(Array.from(y.dataSync())).toEqual([0.485, 0.456, 0.406].map((m, i) => f(f(0.5 - f(m)) / f([0.229, 0.224, 0.225][i]))));
    tf.dispose([x, y]);
  });

  it('eval takes the last minSize; training draws with the injected random; padding is 0 to a multiple of sizeDivisible', () => {
    const draws = [0.9, 0.1];
    const t = new GeneralizedRCNNTransform({ minSize: [20, 40], maxSize: 100, sizeDivisible: 16, random: () => draws.shift() as number });
    const x = image(10, 15);
    t.eval();
    const evalOut = t.forward([x]);
    expect(evalOut.images.imageSizes).toEqual([[40, 60]]);
    expect(evalOut.images.tensor.shape).toEqual([1, 48, 64, 3]);
    const pad = tf.slice(evalOut.images.tensor, [0, 40, 0, 0], [1, 8, 64, 3]);
    expect(tf.max(tf.abs(pad)).dataSync()[0]).toBe(0);
    t.train();
    const trainOut = t.forward([x, x]);
    expect(trainOut.images.imageSizes).toEqual([[40, 60], [20, 30]]);
    expect(draws).toEqual([]);
    tf.dispose([x, pad, evalOut.images.tensor, trainOut.images.tensor]);
  });

  it('resizeBoxes multiplies by the float32 ratios new/original', () => {
    const boxes = tf.tensor2d([[10, 20, 30, 40]]);
    const r = resizeBoxes(boxes, [427, 640], [799, 1199]);
    const f = Math.fround;
    const rw = f(1199 / 640);
    const rh = f(799 / 427);
    expect(Array.from(r.dataSync())).toEqual([f(10 * rw), f(20 * rh), f(30 * rw), f(40 * rh)]);
    tf.dispose([boxes, r]);
  });

  it('batchImages pads to the batch maximum rounded up to the divisor', () => {
    const a = image(5, 7);
    const b = image(9, 3);
    const y = batchImages([a, b], 4);
    expect(y.shape).toEqual([2, 12, 8, 3]);
    expect(tf.sum(y).dataSync()[0]).toBeCloseTo(0.5 * 3 * (35 + 27), 4);
    tf.dispose([a, b, y]);
  });

  it('leaks no tensors and leaves its inputs alone', () => {
    const t = new GeneralizedRCNNTransform({ minSize: 16, maxSize: 32 }).train();
    const x = image(8, 12);
    const target = { boxes: tf.tensor2d([[1, 1, 5, 5]]), labels: tf.tensor1d([1], 'int32'), masks: tf.ones([1, 8, 12], 'int32') as tf.Tensor3D };
    const detection = { boxes: tf.tensor2d([[2, 2, 8, 8]]), scores: tf.tensor1d([0.5]), labels: tf.tensor1d([3], 'int32'), masks: tf.fill([1, 28, 28], 0.7) as tf.Tensor3D };
    const inputs = [x, target.boxes, target.labels, target.masks, detection.boxes, detection.scores, detection.labels, detection.masks];
    const before = tf.memory().numTensors;
    const out = t.forward([x], [target]);
    const post = t.postprocess([detection], out.images.imageSizes, out.originalSizes);
    expect(post[0].masks?.shape).toEqual([1, 8, 12]);
    const t0 = (out.targets ?? [])[0];
    expect(t0.masks?.shape).toEqual([1, 16, 24]);
    expect(t0.masks?.dtype).toBe('int32');
    tf.dispose([out.images.tensor, t0.boxes, t0.labels, t0.masks as tf.Tensor, post[0].boxes, post[0].scores, post[0].labels, post[0].masks as tf.Tensor]);
    expect(tf.memory().numTensors).toBe(before);
    expect(inputs.some((i) => i.isDisposed)).toBe(false);
    tf.dispose(inputs);
  });

  it('rejects bad options and inputs with one-line errors naming them', () => {
    expect(() => new GeneralizedRCNNTransform({ minsize: 800 } as never)).toThrow("GeneralizedRCNNTransform: unknown option 'minsize' (known: minSize, maxSize, imageMean, imageStd, sizeDivisible, fixedSize, random)");
    expect(() => new GeneralizedRCNNTransform({ minSize: [] })).toThrow('GeneralizedRCNNTransform: minSize must be a positive number or a non-empty list of them, got []');
    expect(() => new GeneralizedRCNNTransform({ maxSize: -1 })).toThrow('GeneralizedRCNNTransform: maxSize must be a positive number, got -1');
    expect(() => new GeneralizedRCNNTransform({ imageStd: [1, 1] })).toThrow('GeneralizedRCNNTransform: imageStd must be 3 positive numbers (one per imageMean entry), got [1,1]');
    expect(() => new GeneralizedRCNNTransform({ sizeDivisible: 0 })).toThrow('GeneralizedRCNNTransform: sizeDivisible must be a positive integer, got 0');
    expect(() => new GeneralizedRCNNTransform({ fixedSize: [10, 0] })).toThrow('GeneralizedRCNNTransform: fixedSize must be [width, height] of positive integers, got [10,0]');
    const t = new GeneralizedRCNNTransform({ minSize: 16, maxSize: 32 }).eval();
    const gray = tf.zeros([4, 4, 1]) as tf.Tensor3D;
    const ints = tf.zeros([4, 4, 3], 'int32') as tf.Tensor3D;
    const flat = tf.zeros([4, 4]);
    expect(() => t.forward([gray])).toThrow('GeneralizedRCNNTransform: images[0] must have 3 channels (imageMean has 3), got shape [4,4,1]');
    expect(() => t.forward([ints])).toThrow('GeneralizedRCNNTransform: images[0] must be float32 in [0, 1], got int32');
    expect(() => t.forward([flat as unknown as tf.Tensor3D])).toThrow('GeneralizedRCNNTransform: images[0] must be an [H, W, C] tensor, got shape [4,4]');
    expect(() => t.forward([])).toThrow('GeneralizedRCNNTransform: images must be a non-empty list of [H, W, C] tensors, got an empty list');
    const x = image(4, 4);
    expect(() => t.forward([x], [])).toThrow('GeneralizedRCNNTransform: got 0 targets for 1 images');
    const bad = new GeneralizedRCNNTransform({ minSize: [16, 32], random: () => 1 }).train();
    expect(() => bad.forward([x])).toThrow('GeneralizedRCNNTransform: random() must return a number in [0, 1), got 1');
    tf.dispose([gray, ints, flat, x]);
  });
});
