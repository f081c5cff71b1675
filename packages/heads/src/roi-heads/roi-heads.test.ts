import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { MultiScaleRoIAlign } from '../ops/multi-scale-roi-align.js';
import { ConvFcHead, TwoMlpHead } from './box-head.js';
import { FastRcnnPredictor } from './box-predictor.js';
import { MaskRcnnHeads } from './mask-head.js';
import { selectDetections } from './postprocess-detections.js';
import { RoIHeads } from './roi-heads.js';
import type { RoIHeadsOptions } from './roi-heads-options.js';
import { compareEval, compareTrain, fixtureFeatures, fixtureHeads, fixtureProposals, fixtureTargets, readRoIHeadsFixture } from './roi-heads-fixture.js';

// Made by tools/reference/roi_heads.py (torchvision 0.14 RoIHeads on hash weights).
const f = readRoIHeadsFixture(join(__dirname, '..', '..', 'fixtures', 'roi-heads.json'));
let features: Record<string, tf.Tensor4D>;

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
  features = fixtureFeatures(f);
});
afterAll(() => tf.dispose(Object.values(features)));

describe('RoIHeads equals torchvision 0.14 RoIHeads', () => {
  it('names its parameters as torchvision (the poolers hold none)', () => {
    const heads = fixtureHeads(f);
    expect([...heads.stateDict().keys()]).toEqual(f.keys);
    heads.dispose();
  });

  it('the fixture runs both batched_nms CPU paths (<= and > 4000 coordinates)', () => {
    expect(f.eval[0].nmsNumel.every((n) => n > 0 && n <= 4000)).toBe(true);
    expect(f.eval[1].nmsNumel.every((n) => n > 4000)).toBe(true);
  });

  for (const c of f.eval) {
    it(`${c.name}: detections in keep order, scores, boxes and mask probabilities to 1e-5`, () => {
      const before = tf.memory().numTensors;
      const r = compareEval(f, c, features);
      expect(tf.memory().numTensors).toBe(before);
      expect(r.counts).toEqual(r.refCounts);
      expect(r.counts).toEqual([c.detectionsPerImg, c.detectionsPerImg]);
      expect(r.labelsEqual).toBe(true);
      expect(r.boxes).toBeLessThan(1e-5);
      expect(r.scores).toBeLessThan(1e-5);
      expect(r.maskMeans).toBeLessThan(1e-5);
      expect(r.maskSamples).toBeLessThan(1e-5);
    });
  }

  for (const c of f.train) {
    const withGrads = Object.keys(c.grads).length > 0;
    it(`${c.name}: losses${withGrads ? ' and gradients' : ''} with torch's sampler draws`, () => {
      const before = tf.memory().numTensors;
      const r = compareTrain(f, c, features);
      expect(tf.memory().numTensors).toBe(before);
      expect(r.unusedDraws).toBe(0);
      for (const k of ['lossClassifier', 'lossBoxReg', 'lossMask'] as const) {
        const ref = c.losses[k];
        expect(Math.abs(r.losses[k] - ref)).toBeLessThanOrEqual(1e-5 * Math.abs(ref));
      }
      expect(r.grads).toBeLessThan(1e-5);
      expect(r.gradients.size).toBe(withGrads ? f.keys.length : 0);
      const hasPositives = c.counts.some((n) => n.positive > 0);
      for (const [name, g] of r.gradients) {
        expect(g.every(Number.isFinite)).toBe(true);
        // Without positives nothing reaches the box deltas, and the mask loss is logits.sum() * 0:
        // zero gradients there, as torch's.
        const expectNonZero = hasPositives || !(name.startsWith('mask_') || name.startsWith('box_predictor.bbox_pred'));
        expect([name, g.some((v) => v !== 0)]).toEqual([name, expectNonZero]);
      }
    });
  }
});

describe('RoIHeads construction', () => {
  it("has torchvision's defaults", () => {
    const heads = new RoIHeads({ inChannels: 8, numClasses: 3, mask: {} });
    expect(heads.boxRoiPool.featmapNames).toEqual(['p2', 'p3', 'p4', 'p5']);
    expect([heads.boxRoiPool.outputSize, heads.boxRoiPool.samplingRatio, heads.boxRoiPool.aligned]).toEqual([[7, 7], 2, false]);
    expect([heads.maskRoiPool?.outputSize, heads.maskRoiPool?.samplingRatio]).toEqual([[14, 14], 2]);
    expect(heads.boxHead).toBeInstanceOf(TwoMlpHead);
    expect(heads.boxHead.representationSize).toBe(1024);
    expect(heads.maskHead?.blocks.length).toBe(4);
    expect(heads.maskHead?.outChannels).toBe(256);
    expect(heads.maskPredictor?.conv5Mask.outChannels).toBe(256);
    expect(heads.maskPredictor?.maskFcnLogits.outChannels).toBe(3);
    expect(heads.boxCoder.weights).toEqual([10, 10, 5, 5]);
    expect([heads.proposalMatcher.highThreshold, heads.proposalMatcher.lowThreshold, heads.proposalMatcher.allowLowQualityMatches]).toEqual([0.5, 0.5, false]);
    expect([heads.fgBgSampler.batchSizePerImage, heads.fgBgSampler.positiveFraction]).toEqual([512, 0.25]);
    expect([heads.scoreThresh, heads.nmsThresh, heads.detectionsPerImg]).toEqual([0.05, 0.5, 100]);
    expect(heads.training).toBe(true);
    heads.dispose();
  });

  it('takes instances or specs (convFc head, pooler spec), and Faster R-CNN has no mask children', () => {
    const pool = new MultiScaleRoIAlign({ featmapNames: ['a', 'b'], outputSize: 5, samplingRatio: 0 });
    const heads = new RoIHeads({ inChannels: 4, numClasses: 2, boxRoiPool: pool, boxHead: { type: 'convFc', convChannels: [4], representationSize: 6 } });
    expect(heads.boxRoiPool).toBe(pool);
    expect(heads.boxHead).toBeInstanceOf(ConvFcHead);
    expect(heads.boxPredictor.clsScore.inFeatures).toBe(6);
    expect(heads.hasMask).toBe(false);
    expect([...heads.stateDict().keys()].filter((k) => k.startsWith('mask'))).toEqual([]);
    heads.dispose();
  });

  const bad: [string, RoIHeadsOptions, string][] = [
    ['an unknown key', { inChannels: 4, numClasses: 2, scoreTresh: 0.1 } as RoIHeadsOptions, 'RoIHeads: unknown option scoreTresh'],
    ['an unknown nested key', { inChannels: 4, numClasses: 2, mask: { head: { layer: [4] } } } as unknown as RoIHeadsOptions, 'RoIHeads: unknown option mask.head.layer'],
    ['an unknown box head type', { inChannels: 4, numClasses: 2, boxHead: { type: 'mlp' } } as unknown as RoIHeadsOptions, `RoIHeads: boxHead.type must be 'twoMlp' or 'convFc', got "mlp"`],
    ['a spec without inChannels', { numClasses: 2 }, 'RoIHeads: inChannels is needed to build boxHead from a spec'],
    ['no numClasses for the predictor', { inChannels: 4 }, 'RoIHeads: numClasses is needed to build boxPredictor'],
    ['bgIouThresh above fgIouThresh', { inChannels: 4, numClasses: 2, bgIouThresh: 0.6 }, 'RoIHeads: bgIouThresh must be <= fgIouThresh, got 0.6 > 0.5'],
    ['a fractional batch size', { inChannels: 4, numClasses: 2, batchSizePerImage: 1.5 }, 'RoIHeads: batchSizePerImage must be a positive integer, got 1.5'],
    ['a NaN score threshold', { inChannels: 4, numClasses: 2, scoreThresh: NaN }, 'RoIHeads: scoreThresh must be a finite number, got NaN'],
  ];
  for (const [what, options, message] of bad) {
    it(`rejects ${what}`, () => {
      const before = tf.memory().numTensors;
      expect(() => new RoIHeads(options)).toThrow(message);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('rejects a predictor that does not fit the head or the mask predictor', () => {
    const head = new TwoMlpHead({ inChannels: 2, resolution: 7, representationSize: 8 });
    const predictor = new FastRcnnPredictor({ inFeatures: 9, numClasses: 3 });
    expect(() => new RoIHeads({ boxHead: head, boxPredictor: predictor })).toThrow('RoIHeads: boxPredictor takes 9 features but boxHead gives 8');
    const agnostic = new FastRcnnPredictor({ inFeatures: 8, numClasses: 3, classAgnostic: true });
    expect(() => new RoIHeads({ boxHead: head, boxPredictor: agnostic })).toThrow('RoIHeads: boxPredictor must predict one box per class');
    const fits = new FastRcnnPredictor({ inFeatures: 8, numClasses: 3 });
    expect(() => new RoIHeads({ boxHead: head, boxPredictor: fits, mask: { head: new MaskRcnnHeads({ inChannels: 2, layers: [4] }), predictor: { dimReduced: 4 } }, numClasses: 4 })).toThrow('RoIHeads: boxPredictor has 3 classes but numClasses is 4');
    [head, predictor, agnostic, fits].forEach((m) => m.dispose());
  });
});

describe('RoIHeads postprocess (selectDetections)', () => {
  // 3 proposals x 3 classes (0 = background), boxes [N, C, 4], scores [N, C].
  const box = (x1: number, y1: number, x2: number, y2: number) => [x1, y1, x2, y2];
  const boxes = Float32Array.from([
    ...box(0, 0, 1, 1), ...box(0, 0, 10, 10), ...box(50, 50, 60, 60),
    ...box(0, 0, 1, 1), ...box(1, 0, 11, 10), ...box(20, 20, 20.005, 30),
    ...box(0, 0, 1, 1), ...box(30, 0, 40, 10), ...box(0, 0, 1, 1),
  ]);
  const scores = Float32Array.from([0.5, 0.3, 0.2, 0.15, 0.25, 0.6, 0.7, 0.21, 0.09]);
  const options = { scoreThresh: 0.2, nmsThresh: 0.5, detectionsPerImg: 100 };

  it('drops the background, keeps score > thresh strictly and w, h >= 1e-2, then NMS by label', () => {
    // p0 c2 scores exactly 0.2 (dropped); p1 c1 has IoU 90/110 with p0 c1 (suppressed);
    // p1 c2 is 0.005 wide (dropped); p2 c1 overlaps nothing; p2 c2 scores under the threshold.
    const d = selectDetections(boxes, scores, 3, options);
    expect(Array.from(d.labels)).toEqual([1, 1]);
    expect(Array.from(d.scores)).toEqual([Math.fround(0.3), Math.fround(0.21)]);
    expect(Array.from(d.boxes)).toEqual([0, 0, 10, 10, 30, 0, 40, 10]);
  });

  it('keeps only the first detectionsPerImg', () => {
    const d = selectDetections(boxes, scores, 3, { ...options, detectionsPerImg: 1 });
    expect(Array.from(d.scores)).toEqual([Math.fround(0.3)]);
  });
});

describe('RoIHeads inputs', () => {
  let heads: RoIHeads;
  let proposals: tf.Tensor2D[];
  beforeAll(() => {
    heads = fixtureHeads(f);
    proposals = fixtureProposals(f, [5, 5]);
  });
  afterAll(() => {
    heads.dispose();
    tf.dispose(proposals);
  });

  it('names a missing feature level', () => {
    const { p3: _dropped, ...rest } = features;
    expect(() => heads.eval().forward(rest, proposals, f.imageSizes)).toThrow('RoIHeads: features is missing level "p3" (have: p2, p4, p5, p6)');
  });

  it('rejects proposals that do not list one tensor per image', () => {
    expect(() => heads.eval().forward(features, proposals.slice(0, 1), f.imageSizes)).toThrow('RoIHeads: proposals must hold one [N, 4] tensor per image (2), got 1');
  });

  it('requires targets in training, and masks for the mask branch', () => {
    heads.train();
    expect(() => heads.forward(features, proposals, f.imageSizes)).toThrow('RoIHeads: targets are required in training mode (call eval() for inference)');
    const targets = fixtureTargets(f, [true, false]);
    const withoutMasks = targets.map((t) => ({ boxes: t.boxes, labels: t.labels }));
    expect(() => heads.forward(features, proposals, f.imageSizes, withoutMasks)).toThrow('RoIHeads: targets[0].masks is required to train the mask branch');
    const badLabels = [{ ...targets[0], labels: tf.tensor1d([1, 2, 5, 0], 'int32') }, targets[1]];
    expect(() => heads.forward(features, proposals, f.imageSizes, badLabels)).toThrow('RoIHeads: targets[0].labels must be class ids in 1..4, got 5');
    for (const t of targets) tf.dispose([t.boxes, t.labels, t.masks as tf.Tensor3D]);
    badLabels[0].labels.dispose();
  });

  it('frees everything but its outputs (eval and training)', () => {
    const before = tf.memory().numTensors;
    const { detections } = heads.eval().forward(features, proposals, f.imageSizes);
    expect(detections.map((d) => [d.boxes.shape[1], d.masks?.shape.slice(1)])).toEqual([[4, [28, 28]], [4, [28, 28]]]);
    for (const d of detections) tf.dispose([d.boxes, d.scores, d.labels, d.masks as tf.Tensor3D]);
    const targets = fixtureTargets(f, [true, false]);
    const mid = tf.memory().numTensors;
    const { losses } = heads.train().forward(features, proposals, f.imageSizes, targets);
    expect(Object.keys(losses ?? {})).toEqual(['lossClassifier', 'lossBoxReg', 'lossMask']);
    tf.dispose(Object.values(losses ?? {}));
    expect(tf.memory().numTensors).toBe(mid);
    for (const t of targets) tf.dispose([t.boxes, t.labels, t.masks as tf.Tensor3D]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
