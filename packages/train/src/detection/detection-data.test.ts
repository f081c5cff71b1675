import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { generateSyntheticCoco, type CocoDataset, type SyntheticCoco } from '@tfvision/coco';
import { initBackend } from '@tfvision/nn';
import { DetectionEvalSet, DetectionTrainSet } from './detection-data.js';
import { DetectionLoader } from './detection-loader.js';
import { disposeModelInputs, toModelInputs } from './model-inputs.js';

let synth: SyntheticCoco;
const root = mkdtempSync(join(tmpdir(), 'tfvision-det-data-'));

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
  synth = await generateSyntheticCoco({ outDir: join(root, 'synth'), images: 12, seed: 4, size: 64, colors: 'random' });
});

describe('DetectionTrainSet', () => {
  it('converts xywh to xyxy, maps labels to 1..K, drops crowds and skips images left empty, with a count', async () => {
    const coco: CocoDataset = JSON.parse(JSON.stringify(synth.dataset));
    // Sparse category ids (as COCO's 1..90): labels stay contiguous and map back.
    for (const c of coco.categories) c.id *= 10;
    for (const a of coco.annotations) a.category_id *= 10;
    // Image 1: only a crowd left; image 2: no annotations at all.
    coco.annotations = coco.annotations.filter((a) => a.image_id !== 2 && !(a.image_id === 1 && a.iscrowd === 0));
    coco.annotations.push({ id: 9999, image_id: 1, category_id: 30, bbox: [1, 1, 5, 5], area: 25, iscrowd: 1 });
    const set = DetectionTrainSet.fromCoco(coco, synth.imageDir, { masks: true });
    const emptyImages = coco.images.filter((img) => !coco.annotations.some((a) => a.image_id === img.id && a.iscrowd === 0)).length;
    expect(set.counts.skippedImages).toBe(emptyImages);
    expect(emptyImages).toBeGreaterThanOrEqual(2);
    expect(set.length).toBe(12 - emptyImages);
    expect(set.labels.categoryId(3)).toBe(30);
    const s = await set.get(0);
    const anns = coco.annotations.filter((a) => a.image_id === s.imageId && a.iscrowd === 0);
    expect(Array.from(s.labels)).toEqual(anns.map((a) => a.category_id / 10));
    const [x, y, w, h] = anns[0].bbox;
    expect(Array.from(s.boxes.subarray(0, 4))).toEqual(Array.from(Float32Array.from([x, y, Math.min(x + w, 64), Math.min(y + h, s.image.height)])));
    expect(s.crowdBoxes).toHaveLength(0);
    expect(s.masks!.map((m) => m.reduce((a, v) => a + v, 0))).toEqual(anns.map((a) => a.area));
  });

  it('refuses a set with nothing to train on, and the eval set keeps every image', () => {
    const coco: CocoDataset = { ...synth.dataset, annotations: synth.dataset.annotations.filter((a) => a.iscrowd === 1) };
    expect(() => DetectionTrainSet.fromCoco(coco, synth.imageDir, { masks: false })).toThrow('DetectionTrainSet: no training image has a usable (non-crowd, non-degenerate) annotation (12 skipped)');
    expect(DetectionEvalSet.fromCoco(coco, synth.imageDir).length).toBe(12);
  });
});

describe('DetectionLoader', () => {
  const ids = (xs: { imageId: number }[]) => xs.map((s) => s.imageId);

  it('is a function of (seed, step): resuming at any step loads the same batches, whatever the prefetch', async () => {
    const set = DetectionTrainSet.fromCoco(synth.dataset, synth.imageDir, { masks: false });
    const a = new DetectionLoader(set, { batchSize: 2, seed: 3, prefetch: 3 });
    const all: { step: number; ids: number[]; boxes: number[] }[] = [];
    for await (const b of a.steps(0, 2 * a.stepsPerEpoch + 1)) all.push({ step: b.step, ids: ids(b.samples), boxes: Array.from(b.samples[0].boxes) });
    const resumed = new DetectionLoader(set, { batchSize: 2, seed: 3, prefetch: 1 });
    const tail: typeof all = [];
    for await (const b of resumed.steps(4, 2 * a.stepsPerEpoch + 1)) tail.push({ step: b.step, ids: ids(b.samples), boxes: Array.from(b.samples[0].boxes) });
    expect(tail).toEqual(all.slice(4));
    // Each epoch is a permutation of the set, and epochs differ.
    const epoch0 = all.slice(0, a.stepsPerEpoch).flatMap((b) => b.ids);
    const epoch1 = all.slice(a.stepsPerEpoch, 2 * a.stepsPerEpoch).flatMap((b) => b.ids);
    expect(new Set(epoch0).size).toBe(epoch0.length);
    expect(epoch0.length).toBe(2 * Math.floor(set.length / 2));
    expect(epoch1).not.toEqual(epoch0);
    expect(a.position(a.stepsPerEpoch + 1)).toEqual({ epoch: 1, batchInEpoch: 1 });
    const other = new DetectionLoader(set, { batchSize: 2, seed: 4 });
    expect(ids(await other.batch(0)).concat(ids(await other.batch(1)))).not.toEqual(all.slice(0, 2).flatMap((b) => b.ids));
  });

  it('flips image, boxes and masks together (x -> W - x) with flipProb 1, and about half the time with 0.5', async () => {
    const set = DetectionTrainSet.fromCoco(synth.dataset, synth.imageDir, { masks: true });
    const plain = new DetectionLoader(set, { batchSize: 1, seed: 0, flipProb: 0 });
    const flipped = new DetectionLoader(set, { batchSize: 1, seed: 0, flipProb: 1 });
    const [p] = await plain.batch(0);
    const [f] = await flipped.batch(0);
    const W = p.image.width;
    expect(f.imageId).toBe(p.imageId);
    expect(Array.from(f.boxes.subarray(0, 4))).toEqual(Array.from(Float32Array.from([W - p.boxes[2], p.boxes[1], W - p.boxes[0], p.boxes[3]])));
    expect(Array.from(f.image.data.subarray(0, 3))).toEqual(Array.from(p.image.data.subarray((W - 1) * 3, W * 3)));
    expect(f.masks![0][W - 1 - 5 + 7 * W]).toBe(p.masks![0][5 + 7 * W]);
    const half = new DetectionLoader(set, { batchSize: 1, seed: 0 });
    let flips = 0;
    for (let s = 0; s < half.stepsPerEpoch; s++) {
      const [h] = await half.batch(s);
      const q = await set.get(half.order(0)[s]);
      if (Array.from(h.boxes).join() !== Array.from(q.boxes).join()) flips++;
    }
    expect(flips).toBeGreaterThan(2);
    expect(flips).toBeLessThan(half.stepsPerEpoch - 2);
  });

  it('names bad options', () => {
    const set = DetectionTrainSet.fromCoco(synth.dataset, synth.imageDir, { masks: false });
    expect(() => new DetectionLoader(set, { batchSize: 0, seed: 0 })).toThrow('DetectionLoader: batchSize must be a positive integer, got 0');
    expect(() => new DetectionLoader(set, { batchSize: 100, seed: 0 })).toThrow(`DetectionLoader: batchSize 100 exceeds the ${set.length} training images`);
    expect(() => new DetectionLoader(set, { batchSize: 1, seed: 0, flipProb: 2 })).toThrow('DetectionLoader: flipProb must be in [0, 1], got 2');
  });
});

describe('toModelInputs', () => {
  it('gives [H, W, 3] images in [0, 1], xyxy boxes, int32 labels and [N, H, W] masks, all freed by disposeModelInputs', async () => {
    const set = DetectionTrainSet.fromCoco(synth.dataset, synth.imageDir, { masks: true });
    const samples = [await set.get(0), await set.get(1)];
    const before = tf.memory().numTensors;
    const inputs = toModelInputs(samples, true);
    const s = samples[0];
    expect(inputs.images[0].shape).toEqual([s.image.height, s.image.width, 3]);
    expect(inputs.images[0].dataSync()[5]).toBeCloseTo(s.image.data[5] / 255, 7);
    expect(inputs.targets[0].labels.dtype).toBe('int32');
    expect(Array.from(inputs.targets[0].boxes.dataSync())).toEqual(Array.from(s.boxes));
    expect(inputs.targets[0].masks!.shape).toEqual([s.labels.length, s.image.height, s.image.width]);
    const sums = tf.sum(inputs.targets[0].masks!, [1, 2]);
    expect(Array.from(sums.dataSync())).toEqual(Array.from(s.areas));
    sums.dispose();
    disposeModelInputs(inputs);
    expect(tf.memory().numTensors).toBe(before);
    const bare = { ...(await set.get(0)), masks: undefined };
    expect(() => toModelInputs([bare], true)).toThrow(/has no masks but the model is a Mask R-CNN/);
  });
});
