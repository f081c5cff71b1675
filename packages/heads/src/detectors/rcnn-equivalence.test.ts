/**
 * Whole detectors against torchvision 0.14 (fixtures/rcnn, made by tools/reference/rcnn.py):
 * hash weights under torchvision's names, two images of different sizes, eval mode, compared
 * stage by stage (transformed batch, FPN levels, proposals, detections, masks) so a mismatch
 * names the first stage that differs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { createDetector } from './registry.js';
import { fillHashWeights } from '../testing/hash-weights.js';
import { readHeadsFixture, relativeError } from '../testing/fixture-compare.js';
import { rcnnImage, type RcnnImageSpec } from '../testing/rcnn-images.js';
import type { GeneralizedRcnn } from './generalized-rcnn.js';

interface Summary {
  shape: number[];
  sum: number;
  sumsq: number;
  absmax: number;
  positions: number[];
  values: number[];
}
interface RcnnFixture {
  model: string;
  settings: { minSize: number; maxSize: number; boxScoreThresh: number; numClasses: number; rpnPostNmsTopNTest: number; detectionsPerImg: number };
  images: (RcnnImageSpec & { name: string })[];
  transform: { batch: Summary; imageSizes: [number, number][] };
  fpn: Record<string, Summary>;
  proposals: { count: number; first: number[][]; summary: Summary }[];
  detections: { boxes: number[][]; scores: number[]; labels: number[] }[];
  masks?: Summary[];
}

const FPN_NAMES: Record<string, string> = { p2: '0', p3: '1', p4: '2', p5: '3', p6: 'pool' };

/**
 * Shape, sum and sampled values against a generator summary. `rowSwap` (the row width) lets a
 * sampled value come from a row up to two places away: proposals whose objectness
 * probabilities tie exactly in float32 (seen: two at 0.9906154) keep an order that depends on
 * the last ulp of the sigmoid, which torch and tfjs compute differently.
 */
function expectSummary(got: tf.Tensor, ref: Summary, what: string, rowSwap = 0): void {
  expect({ what, shape: got.shape }).toEqual({ what, shape: ref.shape });
  const v = got.dataSync();
  const scale = Math.max(ref.absmax, 1e-30);
  const near = (p: number, want: number) => Math.abs(v[p] - want) <= 1e-4 * scale;
  const bad = ref.positions.filter((p, k) => !near(p, ref.values[k]) && !(rowSwap > 0 && [-2, -1, 1, 2].some((d) => p + d * rowSwap >= 0 && p + d * rowSwap < v.length && near(p + d * rowSwap, ref.values[k]))));
  expect({ what, bad }).toEqual({ what, bad: [] });
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i];
  expect({ what, sum: Math.abs(sum - ref.sum) <= 1e-4 * Math.sqrt(ref.sumsq * v.length) }).toEqual({ what, sum: true });
}

/**
 * Reference detections without a match in ours: same label, box within 1e-4 of the largest
 * coordinate, score within 2e-5, at most 3 places away. Float32 differences of ~1e-6 in the
 * scores may swap two detections whose scores differ by less than that (seen: 0.5263748 and
 * 0.5263713); anything else is a real difference.
 */
function matchDetections(d: { boxes: tf.Tensor; scores: tf.Tensor; labels: tf.Tensor }, ref: { boxes: number[][]; scores: number[]; labels: number[] }): string[] {
  const boxes = d.boxes.arraySync() as number[][];
  const scores = Array.from(d.scores.dataSync());
  const labels = Array.from(d.labels.dataSync());
  const scale = Math.max(1, ...ref.boxes.flat().map(Math.abs));
  const used = new Set<number>();
  const unmatched: string[] = [];
  ref.scores.forEach((score, k) => {
    const j = [k, k - 1, k + 1, k - 2, k + 2, k - 3, k + 3].find(
      (c) => c >= 0 && c < scores.length && !used.has(c) && labels[c] === ref.labels[k] && Math.abs(scores[c] - score) < 2e-5 && boxes[c].every((v, q) => Math.abs(v - ref.boxes[k][q]) < 1e-4 * scale),
    );
    if (j === undefined) unmatched.push(`#${k} label ${ref.labels[k]} score ${score} box [${ref.boxes[k]}] (ours #${k}: label ${labels[k]} score ${scores[k]} box [${boxes[k]}])`);
    else used.add(j);
  });
  return unmatched;
}

// wasm: ResNet-50 at ~190x190 takes seconds there, minutes on the JS cpu backend under jest.
beforeAll(async () => {
  await initBackend({ backend: process.env.TFVISION_EQUIV_BACKEND ?? 'wasm', report: false });
});

describe.each(['maskrcnn_resnet50_fpn', 'fasterrcnn_resnet50_fpn_v2'])('%s equals torchvision', (name) => {
  const fx = readHeadsFixture<RcnnFixture>(`rcnn/${name}.json`);
  let model: GeneralizedRcnn;
  let images: tf.Tensor3D[];

  beforeAll(() => {
    const { minSize, maxSize, boxScoreThresh, rpnPostNmsTopNTest, detectionsPerImg } = fx.settings;
    model = createDetector(name, {
      transform: { minSize: [minSize], maxSize },
      rpn: { postNmsTopN: { training: 2000, testing: rpnPostNmsTopNTest } },
      roiHeads: { scoreThresh: boxScoreThresh, detectionsPerImg },
    });
    fillHashWeights(model);
    model.eval();
    images = fx.images.map((spec) => rcnnImage(spec));
  });
  afterAll(() => {
    tf.dispose(images);
    model.dispose();
  });

  it('transform, FPN levels and proposals', () => {
    const { images: batch } = model.transform.forward(images);
    expect(batch.imageSizes).toEqual(fx.transform.imageSizes);
    expectSummary(batch.tensor, fx.transform.batch, 'batch');
    const features = model.backbone.forward(batch.tensor);
    for (const [ours, theirs] of Object.entries(FPN_NAMES)) expectSummary(features[ours], fx.fpn[theirs], `fpn ${ours}`);
    const { proposals, scores } = model.rpn.forward(batch, features);
    proposals.forEach((p, i) => {
      expect(p.shape[0]).toBe(fx.proposals[i].count);
      const first = fx.proposals[i].first;
      expect(relativeError(p.slice([0, 0], [first.length, 4]), first.flat())).toBeLessThan(1e-4);
      expectSummary(p, fx.proposals[i].summary, `proposals ${i}`, 4);
    });
    tf.dispose([batch.tensor, ...Object.values(features), ...proposals, ...scores]);
  });

  it('detections (and masks) in the input images\' pixels, without leaks', () => {
    const before = tf.memory().numTensors;
    const dets = model.detect(images);
    dets.forEach((d, i) => {
      const ref = fx.detections[i];
      expect(d.scores.shape[0]).toBe(ref.scores.length);
      expect(matchDetections(d, ref)).toEqual([]);
      if (fx.masks) expectSummary(d.masks!, fx.masks[i], `masks ${i}`);
      else expect(d.masks).toBeUndefined();
    });
    for (const d of dets) tf.dispose([d.boxes, d.scores, d.labels, ...(d.masks ? [d.masks] : [])]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
