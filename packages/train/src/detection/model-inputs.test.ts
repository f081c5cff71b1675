/**
 * toModelInputs: one batch in both label conventions (torchvision's labels 1..K, detectron2's
 * classes 0..K-1), masks only for mask models, and every tensor freed by disposeModelInputs.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DetectionSample } from '@tfvision/coco';
import { initBackend } from '@tfvision/nn';
import { disposeModelInputs, toModelInputs } from './model-inputs.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

/** A 2x3 image with two instances (labels 1 and 4) and their masks. */
function sample(): DetectionSample {
  return {
    imageId: 7,
    fileName: 'a.png',
    image: { width: 3, height: 2, channels: 3, data: Uint8Array.from([0, 51, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 102]) },
    originalSize: [2, 3],
    contentSize: [2, 3],
    boxes: Float32Array.from([0, 0, 2, 1, 1, 0, 3, 2]),
    labels: Int32Array.from([1, 4]),
    masks: [Uint8Array.from([1, 1, 0, 0, 0, 0]), Uint8Array.from([0, 1, 1, 0, 1, 1])],
  } as unknown as DetectionSample;
}

describe('toModelInputs', () => {
  it('gives labels 1..K and classes = labels - 1, images scaled to [0, 1], masks [N, H, W] for mask models', () => {
    const before = tf.memory().numTensors;
    const withMasks = toModelInputs([sample()], true);
    const [t] = withMasks.targets;
    expect(Array.from(t.labels.dataSync())).toEqual([1, 4]);
    expect(Array.from(t.classes)).toEqual([0, 3]);
    expect(t.boxes.shape).toEqual([2, 4]);
    expect(t.masks?.shape).toEqual([2, 2, 3]);
    expect(Array.from(t.masks?.dataSync() ?? [])).toEqual([1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1]);
    const img = withMasks.images[0];
    expect(img.shape).toEqual([2, 3, 3]);
    expect(img.dataSync()[1]).toBeCloseTo(0.2, 6);
    expect(img.dataSync()[17]).toBeCloseTo(0.4, 6);
    disposeModelInputs(withMasks);
    const boxesOnly = toModelInputs([sample()], false);
    expect(boxesOnly.targets[0].masks).toBeUndefined();
    expect(Array.from(boxesOnly.targets[0].classes)).toEqual([0, 3]);
    disposeModelInputs(boxesOnly);
    expect(tf.memory().numTensors).toBe(before);
  });
});
