/**
 * evaluateSegmenter against hand-counted IoUs: a segmenter whose logits pick the class nearest
 * to 2 x the red channel (so its predictions are known), a side multiple that forces padding,
 * labels with known errors and an ignored pixel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Segmenter, type SegmentationOutput } from '@tfvision/heads';
import { initBackend } from '@tfvision/nn';
import type { SegmentationSample } from './segmentation-data.js';
import { evaluateSegmenter } from './segmentation-eval.js';
import { SemanticLabels } from './semantic-labels.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

/** Class k scores −(2·red − k)²; inputs must be multiples of 4 (padding is exercised). */
class NearestRed extends Segmenter {
  readonly name = 'nearest-red';
  readonly numClasses = 3;
  readonly inChannels = 3;
  readonly sideMultiple = 4;
  seenShapes: number[][] = [];
  forward(x: tf.Tensor4D): SegmentationOutput {
    this.checkInput(x, 'forward');
    this.seenShapes.push(x.shape);
    return tf.tidy(() => {
      const red = tf.mul(tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, 1]), 2);
      return { out: tf.neg(tf.square(tf.sub(red, tf.tensor1d([0, 1, 2])))) as tf.Tensor4D };
    });
  }
  forwardLowRes(x: tf.Tensor4D): SegmentationOutput {
    return this.forward(x);
  }
}

// 2 x 3 image; red 0, 127.5-ish, 255 give classes 0, 1, 2.
const RED = [0, 128, 255, 255, 128, 0];
const sample = (label: number[]): SegmentationSample => ({
  imageId: 1,
  fileName: 'a.png',
  image: { data: Uint8Array.from(RED.flatMap((r) => [r, 0, 0])), height: 2, width: 3, channels: 3 },
  label: { data: Uint8Array.from(label), height: 2, width: 3, channels: 1 },
});

describe('evaluateSegmenter', () => {
  it('scores argmax predictions over unignored pixels, per class and overall', async () => {
    // Predictions 0 1 2 / 2 1 0; labels 0 1 1 / 2 255 0: one wrong (class 1 labelled, 2 predicted), one ignored.
    const set = { length: 1, labels: new SemanticLabels([{ id: 4, name: 'a' }, { id: 9, name: 'b' }]), get: async () => sample([0, 1, 1, 2, 255, 0]) };
    const model = new NearestRed();
    model.train();
    const before = tf.memory().numTensors;
    const r = await evaluateSegmenter(model, set, { mean: [0, 0, 0], std: [1, 1, 1], keepPredictions: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(model.training).toBe(true);
    expect(model.seenShapes).toEqual([[1, 4, 4, 3]]);
    expect(Array.from(r.predictions[0].prediction)).toEqual([0, 1, 2, 2, 1, 0]);
    expect([r.images, r.pixels]).toEqual([1, 5]);
    expect(r.pixelAccuracy).toBeCloseTo(4 / 5, 12);
    // IoU: class 0 2/2, class 1 1/2 (1 tp, 1 labelled as 1 predicted 2), class 2 1/2.
    expect(r.perClass.map((c) => c.iou)).toEqual([1, 0.5, 0.5]);
    expect(r.mIoU).toBeCloseTo(2 / 3, 12);
    expect(r.perClass.map((c) => [c.name, c.categoryId, c.pixels])).toEqual([['background', undefined, 2], ['a', 4, 2], ['b', 9, 1]]);
  });

  it('leaves a class absent from labels and predictions out of mIoU (null IoU)', async () => {
    const set = { length: 1, labels: new SemanticLabels([{ id: 4, name: 'a' }, { id: 9, name: 'b' }]), get: async () => ({ ...sample([0, 0, 0, 0, 0, 0]), image: { data: new Uint8Array(18), height: 2, width: 3, channels: 3 as const } }) };
    const r = await evaluateSegmenter(new NearestRed(), set, { mean: [0, 0, 0], std: [1, 1, 1] });
    expect(r.perClass.map((c) => c.iou)).toEqual([1, null, null]);
    expect(r.mIoU).toBe(1);
    expect(r.predictions).toEqual([]);
  });

  it('evaluates at evalSize (the shorter side), resizing the label by nearest', async () => {
    const set = { length: 1, labels: new SemanticLabels([{ id: 4, name: 'a' }, { id: 9, name: 'b' }]), get: async () => sample([0, 1, 2, 2, 1, 0]) };
    const model = new NearestRed();
    const r = await evaluateSegmenter(model, set, { mean: [0, 0, 0], std: [1, 1, 1], evalSize: 4 });
    expect(model.seenShapes).toEqual([[1, 4, 8, 3]]);
    expect(r.pixels).toBe(24);
  });

  it('refuses a model whose class count differs from the set', async () => {
    const set = { length: 1, labels: new SemanticLabels([{ id: 4, name: 'a' }]), get: async () => sample([0, 0, 0, 0, 0, 0]) };
    await expect(evaluateSegmenter(new NearestRed(), set, { mean: [0, 0, 0], std: [1, 1, 1] })).rejects.toThrow('evaluateSegmenter: the model has 3 classes, the evaluation set 2 (background + 1 categories)');
  });
});
