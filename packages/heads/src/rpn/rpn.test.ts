import * as tf from '@tensorflow/tfjs-core';
import { initBackend, Module } from '@tfvision/nn';
import { CPU_VANILLA_ABOVE_NUMEL } from '../ops/batched-nms.js';
import { boxIou } from '../ops/box-ops.js';
import { SeededRng } from '../ops/seeded-rng.js';
import type { ImageList } from '../structures/image-list.js';
import { hashInput } from '../testing/fixture-compare.js';
import { fillHashWeights } from '../testing/hash-weights.js';
import { buildCase, checkRpnCase, loadRpnFixture, type RpnCase } from './__tests__/rpn-fixture.js';
import { RegionProposalNetwork } from './rpn.js';
import { assignTargetsToAnchors } from './rpn-loss.js';
import { RPN_DEFAULTS } from './rpn-options.js';
import { torchTopkIndices } from './torch-topk.js';

// Made by tools/reference/rpn.py (torchvision 0.14 RegionProposalNetwork on hash weights).
const fixture = loadRpnFixture();
const caseNamed = (name: string): RpnCase => {
  const c = fixture.cases.find((x) => x.name === name);
  if (!c) throw new Error(`no fixture case ${name}`);
  return c;
};

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

describe('torchTopkIndices equals torch 1.13 CPU topk', () => {
  it('on tie-heavy rows, through both partial_sort (k * 64 <= n) and nth_element', () => {
    const paths = new Set<string>();
    for (const c of fixture.topk) {
      paths.add(c.k * 64 <= c.values.length ? 'partial_sort' : 'nth_element');
      expect([c.values.length, c.k, Array.from(torchTopkIndices(Float32Array.from(c.values), c.k))]).toEqual([c.values.length, c.k, c.indices]);
    }
    expect([...paths].sort()).toEqual(['nth_element', 'partial_sort']);
  });

  it('a stable order would not do: it differs from torch on most of these rows', () => {
    const differ = fixture.topk.filter((c) => {
      const stable = Array.from(c.values.keys()).sort((a, b) => c.values[b] - c.values[a] || a - b).slice(0, c.k);
      return JSON.stringify(stable) !== JSON.stringify(c.indices);
    });
    expect(differ.length).toBeGreaterThan(fixture.topk.length / 2);
  });

  it('returns the k largest (NaN first) and rejects a bad k', () => {
    const rng = new SeededRng(5);
    const v = Float32Array.from({ length: 500 }, () => (rng.next() < 0.01 ? NaN : Math.floor(rng.next() * 20)));
    for (const k of [1, 7, 100, 500]) {
      const got = Array.from(torchTopkIndices(v, k), (i) => (Number.isNaN(v[i]) ? Infinity : v[i]));
      const want = Array.from(v, (x) => (Number.isNaN(x) ? Infinity : x)).sort((a, b) => b - a).slice(0, k);
      expect(got).toEqual(want);
    }
    expect(() => torchTopkIndices(v, 501)).toThrow('torchTopkIndices: k must be an integer in [0, 500], got 501');
  });
});

describe('RegionProposalNetwork equals torchvision 0.14', () => {
  it('has the torchvision checkpoint names, rpn.head.* inside a detector', () => {
    const rpn = new RegionProposalNetwork({ inChannels: fixture.channels });
    expect([...rpn.stateDict().keys()]).toEqual(caseNamed('eval_small').keys);
    class Detector extends Module {
      constructor() {
        super();
        this.registerModule('rpn', rpn);
      }
    }
    expect([...new Detector().stateDict().keys()]).toEqual(caseNamed('eval_small').keys.map((k) => `rpn.${k}`));
    rpn.dispose();
  });

  it('the cases cover both batched NMS paths: per level (> 4000 coordinates) and the coordinate trick', () => {
    // Boxes torchvision's run passed to batched_nms, per image.
    const perClass = fixture.cases.filter((c) => c.images.every((im) => 4 * im.nmsInputs > CPU_VANILLA_ABOVE_NUMEL)).map((c) => c.name);
    expect(perClass).toEqual(['eval_default']);
    expect(caseNamed('eval_small').images.map((im) => im.nmsInputs)).toEqual([499, 490]);
  });

  for (const c of fixture.cases) {
    const what =
      c.mode === 'train'
        ? `training: proposals, label counts and both losses with torch's randperm draws (${c.targets!.map((t) => t.length).join(' and ')} GT boxes)`
        : `eval, preNmsTopN ${c.preNmsTopN} / postNmsTopN ${c.postNmsTopN}${c.ties ? ', tied logits' : ''}${c.summaryOnly ? ' (counts, sums, first 100)' : ''}`;
    it(`${c.name}: ${what}`, () => {
      const errors = checkRpnCase(fixture, c);
      expect(errors.boxes).toBeLessThan(1e-5);
    });
  }
});

describe('RegionProposalNetwork behaviour', () => {
  it('defaults are torchvision Faster R-CNN\'s', () => {
    expect(RPN_DEFAULTS).toMatchObject({
      anchorSizes: [[32], [64], [128], [256], [512]],
      aspectRatios: [0.5, 1, 2],
      preNmsTopN: { training: 2000, testing: 1000 },
      postNmsTopN: { training: 2000, testing: 1000 },
      nmsThresh: 0.7,
      fgIouThresh: 0.7,
      bgIouThresh: 0.3,
      batchSizePerImage: 256,
      positiveFraction: 0.5,
      scoreThresh: 0,
      minSize: 1e-3,
    });
    const rpn = new RegionProposalNetwork({ inChannels: 8 });
    expect([rpn.head.numAnchors, rpn.preNmsTopN, rpn.postNmsTopN]).toEqual([3, 2000, 2000]);
    rpn.eval();
    expect([rpn.preNmsTopN, rpn.postNmsTopN]).toEqual([1000, 1000]);
    rpn.dispose();
  });

  it('gradients of both losses reach every head parameter, finite, non-zero and equal to central differences', () => {
    // A smaller batch than the fixture's: tfjs's CPU Conv2DBackpropFilter is a naive loop.
    const rpn = new RegionProposalNetwork({ inChannels: 4, randperm: (n) => Int32Array.from({ length: n }, (_, i) => i) });
    fillHashWeights(rpn);
    const images: ImageList = { tensor: tf.zeros([2, 64, 64, 3]) as tf.Tensor4D, imageSizes: [[64, 60], [50, 64]] };
    const features: Record<string, tf.Tensor4D> = {};
    [16, 8, 4, 2, 1].forEach((s, l) => (features[`p${l + 2}`] = hashInput(`rpn.grad.p${l + 2}`, [2, 4, s, s]) as tf.Tensor4D));
    const targets = [
      { boxes: tf.tensor2d([[10, 10, 42, 42], [30, 2, 60, 20]]), labels: tf.tensor1d([1, 2], 'int32') },
      { boxes: tf.tensor2d([[0, 20, 40, 48]]), labels: tf.tensor1d([1], 'int32') },
    ];
    const loss = (): tf.Scalar => {
      const out = rpn.forward(images, features, targets);
      tf.dispose([out.proposals, out.scores]);
      return tf.add(out.losses!.lossObjectness, out.losses!.lossRpnBoxReg) as tf.Scalar;
    };
    const { value, grads } = tf.variableGrads(loss, rpn.trainableParameters());
    const report = rpn.namedParameters().map(([name, v]) => {
      const g = grads[v.name].dataSync();
      return [name, g.every(Number.isFinite), g.some((x) => x !== 0)];
    });
    expect(report).toEqual(rpn.namedParameters().map(([n]) => [n, true, true]));
    for (const bias of [rpn.head.clsLogits.bias!, rpn.head.bboxPred.bias!]) {
      const h = 1e-2;
      const at = (delta: number): number => {
        const b = bias.dataSync().slice();
        b[0] += delta;
        bias.assign(tf.tensor1d(b));
        const l = loss();
        const x = l.dataSync()[0];
        l.dispose();
        b[0] -= delta;
        bias.assign(tf.tensor1d(b));
        return x;
      };
      const numeric = (at(h) - at(-h)) / (2 * h);
      expect(Math.abs(grads[bias.name].dataSync()[0] - numeric)).toBeLessThan(2e-3 * Math.max(Math.abs(numeric), 1e-2));
    }
    tf.dispose([value, Object.values(grads), images.tensor, Object.values(features), targets.map((t) => [t.boxes, t.labels])]);
    rpn.dispose();
  });

  it('the 4x60 sliver GT box gets positives only through the low-quality rule (12 anchors tie at its best IoU 0.1723)', () => {
    const built = buildCase(fixture, caseNamed('train'));
    const maps = Object.values(built.features);
    const host = built.rpn.anchorGenerator.anchorsHost([128, 160], maps.map((m) => [m.shape[1], m.shape[2]] as const));
    const anchors = tf.tensor2d(host, [host.length / 4, 4]);
    const sliver = tf.tensor2d([caseNamed('train').targets![0][1]]);
    const best = tf.tidy(() => tf.max(boxIou(sliver, anchors)).dataSync()[0]);
    expect(best).toBeCloseTo(0.1723, 4);
    const { labels, matchedGt } = assignTargetsToAnchors(host, built.targets![0].boxes, built.rpn.proposalMatcher);
    expect(labels.filter((l, j) => l === 1 && matchedGt[j] === 1).length).toBe(12);
    tf.dispose([anchors, sliver]);
    built.dispose();
  });

  it('leaves no tensors behind in eval and training calls', () => {
    for (const name of ['eval_small', 'train']) {
      const built = buildCase(fixture, caseNamed(name));
      const before = tf.memory().numTensors;
      const out = built.rpn.forward(built.images, built.features, built.targets);
      const returned = 2 * out.proposals.length + (out.losses ? 2 : 0);
      expect(tf.memory().numTensors).toBe(before + returned);
      tf.dispose([out.proposals, out.scores, out.losses ? [out.losses.lossObjectness, out.losses.lossRpnBoxReg] : []]);
      expect(tf.memory().numTensors).toBe(before);
      built.dispose();
    }
  });

  it('a score threshold above every probability leaves [0, 4] proposals', () => {
    const built = buildCase(fixture, caseNamed('eval_small'));
    const rpn = new RegionProposalNetwork({ inChannels: fixture.channels, scoreThresh: 1.5 }).eval();
    const out = rpn.forward(built.images, built.features);
    expect(out.proposals.map((p) => p.shape)).toEqual([[0, 4], [0, 4]]);
    expect(out.scores.map((s) => s.shape)).toEqual([[0], [0]]);
    tf.dispose([out.proposals, out.scores]);
    rpn.dispose();
    built.dispose();
  });

  it('bad options and inputs give one-line errors naming RegionProposalNetwork and the value', () => {
    expect(() => new RegionProposalNetwork({ nmsThreshold: 0.5 } as never)).toThrow(/^RegionProposalNetwork: unknown option 'nmsThreshold'/);
    expect(() => new RegionProposalNetwork({ preNmsTopN: { training: 10, test: 5 } as never })).toThrow("RegionProposalNetwork: unknown key 'test' in preNmsTopN");
    expect(() => new RegionProposalNetwork({ postNmsTopN: { training: 0, testing: 5 } })).toThrow('RegionProposalNetwork: postNmsTopN.training must be a positive integer, got 0');
    expect(() => new RegionProposalNetwork({ bgIouThresh: 0.8 })).toThrow('RegionProposalNetwork: bgIouThresh must be <= fgIouThresh, got 0.8 > 0.7');
    expect(() => new RegionProposalNetwork({ anchorSizes: [[32], [64, 128]] })).toThrow('RegionProposalNetwork: every level needs the same number of anchors per location (one shared head), got [3, 6]');

    const built = buildCase(fixture, caseNamed('train'));
    const { rpn, images, features, targets } = built;
    const { p6: _p6, ...fourLevels } = features;
    expect(() => rpn.forward(images, fourLevels)).toThrow('RegionProposalNetwork: features has 4 levels (p2, p3, p4, p5) but anchorSizes has 5');
    expect(() => rpn.forward(images, features)).toThrow('RegionProposalNetwork: targets are required in training mode, got undefined');
    const flat = tf.zeros([3, 5]) as tf.Tensor2D;
    const badTargets = [{ ...targets![0], boxes: flat }, targets![1]];
    expect(() => rpn.forward(images, features, badTargets)).toThrow('RegionProposalNetwork: targets[0].boxes must be [G, 4], got [3, 5]');
    expect(() => rpn.forward(images, features, targets!.slice(0, 1))).toThrow('RegionProposalNetwork: targets must list one entry per image (2), got 1');
    const thin = tf.zeros([2, 8, 10, 4]) as tf.Tensor4D;
    expect(() => rpn.eval().forward(images, { ...features, p4: thin })).toThrow(`RegionProposalNetwork: features.p4 must be NHWC [2, h, w, ${fixture.channels}], got [2, 8, 10, 4]`);
    tf.dispose([flat, thin]);
    built.dispose();
  });
});
