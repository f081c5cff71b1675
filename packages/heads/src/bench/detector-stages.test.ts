/**
 * The staged mirror of GeneralizedRcnn.predict (detector-stages.ts) must give predict()'s
 * detections, or the bench's profile times a different computation; and the kernel summary
 * must not count custom-gradient scopes on top of the kernels they wrap.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { createDetector } from '../detectors/registry.js';
import type { GeneralizedRcnn } from '../detectors/generalized-rcnn.js';
import { disposeInstances } from '../structures/instances.js';
import { fillHashWeights } from '../testing/hash-weights.js';
import { rcnnImage } from '../testing/rcnn-images.js';
import { STAGES, detectByStage, summariseKernels } from './detector-stages.js';

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

beforeAll(async () => {
  await initBackend({ backend: 'wasm', report: false });
});

describe('detectByStage', () => {
  let model: GeneralizedRcnn;
  let image: tf.Tensor3D;
  beforeAll(() => {
    // Small sizes and counts keep ResNet-50 to about a second per call on wasm.
    model = createDetector('maskrcnn_resnet50_fpn', { transform: { minSize: [96], maxSize: 160 }, rpn: { postNmsTopN: { training: 2000, testing: 60 } }, roiHeads: { scoreThresh: 0, detectionsPerImg: 12 } });
    fillHashWeights(model);
    model.eval();
    image = rcnnImage({ name: 'image0', shape: [3, 100, 140], rects: [[10, 12, 60, 70, 0.9, 0.2, 0.1], [70, 30, 130, 60, 0.1, 0.8, 0.3]] });
    disposeInstances(model.predict([image])[0]); // fills the model's caches
  });
  afterAll(() => {
    image.dispose();
    model.dispose();
  });

  it("gives predict()'s boxes, scores, labels and masks, a time for every stage, and no leaks", async () => {
    const want = model.predict([image])[0];
    const before = tf.memory().numTensors;
    const { detections, ms, proposals } = await detectByStage(model, [image]);
    const got = detections[0];
    expect(got.scores.shape[0]).toBe(12);
    expect(Array.from(got.labels.dataSync())).toEqual(Array.from(want.labels.dataSync()));
    expect(maxDiff(got.scores, want.scores)).toBeLessThan(1e-6);
    expect(maxDiff(got.boxes, want.boxes)).toBeLessThan(1e-4);
    expect(got.masks?.shape).toEqual([12, 100, 140]);
    expect(maxDiff(got.masks as tf.Tensor3D, want.masks as tf.Tensor3D)).toBeLessThan(1e-6);
    expect(proposals).toEqual([60]);
    expect(Object.keys(ms)).toEqual([...STAGES]);
    for (const s of STAGES) expect(ms[s]).toBeGreaterThanOrEqual(0);
    disposeInstances(got);
    expect(tf.memory().numTensors).toBe(before);
    disposeInstances(want);
  });
});

describe('summariseKernels', () => {
  it('sums kernels by name and keeps custom-gradient scopes apart', async () => {
    const x = tf.ones([1, 8, 8, 4]);
    const f = tf.ones([3, 3, 4, 4]);
    const info = await tf.profile(() => tf.tidy(() => tf.add(tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 1, pad: 'same', activation: 'relu' }), tf.add(x, x))));
    tf.dispose([x, f, info.result as tf.Tensor]);
    const s = summariseKernels(info, 5);
    expect(s.top.map((k) => [k.name, k.count]).sort()).toEqual([['Add', 2], ['FusedConv2D', 1]]);
    expect(s.kernels).toBe(3);
    expect(s.scopes.map((k) => k.name)).toEqual(['fusedConv2d__op']);
    expect(s.kernelMs).toBeCloseTo(s.top.reduce((a, k) => a + k.ms, 0), 0);
  });
});
