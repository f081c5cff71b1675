/**
 * Shared by rpn.test.ts (committed fixture) and rpn.slow.test.ts (a fresh torchvision run):
 * rebuilds a case of tools/reference/rpn.py (hash weights, hash feature maps, the recorded
 * torch.randperm draws) and compares our RegionProposalNetwork with it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { RandpermSource } from '../../ops/balanced-sampler.js';
import type { ImageList } from '../../structures/image-list.js';
import type { DetectionTargets } from '../../structures/instances.js';
import { fillHashWeights, hashUniform } from '../../testing/hash-weights.js';
import { RegionProposalNetwork, type RpnOutput } from '../rpn.js';
import { assignTargetsToAnchors } from '../rpn-loss.js';

export interface StoredImageProposals {
  count: number;
  /** Boxes torchvision's batched_nms got (its CPU path switches above 1000). */
  nmsInputs: number;
  boxSum: number;
  boxWeightedSum: number;
  scoreSum: number;
  /** Row-major [count, 4], or the first 100 rows when the case is summaryOnly. */
  boxes: number[];
  scores: number[];
}

export interface RandpermDraw {
  n: number;
  first: number[];
}

export interface RpnCase {
  name: string;
  mode: 'eval' | 'train';
  preNmsTopN: number;
  postNmsTopN: number;
  ties: boolean;
  keys: string[];
  summaryOnly: boolean;
  images: StoredImageProposals[];
  targets?: number[][][];
  labelCounts?: { positive: number; negative: number; ignored: number }[];
  randperm?: RandpermDraw[];
  losses?: { lossObjectness: number; lossRpnBoxReg: number };
}

export interface TopkCase {
  values: number[];
  k: number;
  indices: number[];
}

export interface RpnFixture {
  reference: string;
  channels: number;
  padded: [number, number];
  imageSizes: [number, number][];
  featureSizes: [number, number][];
  samplerKeep: number;
  tieFill: number;
  cases: RpnCase[];
  topk: TopkCase[];
}

export const FIXTURE_PATH = path.join(__dirname, '..', '..', '..', 'fixtures', 'rpn.json');
const LEVEL_NAMES = ['p2', 'p3', 'p4', 'p5', 'p6'];

export function loadRpnFixture(file = FIXTURE_PATH): RpnFixture {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as RpnFixture;
}

/** torch.randperm's recorded draws, in order; entries past the recorded head are the unused indices ascending (the sampler never reads them). */
export function recordedRandperm(draws: readonly RandpermDraw[]): { randperm: RandpermSource; used: () => number } {
  let next = 0;
  const randperm: RandpermSource = (n) => {
    const d = draws[next++];
    if (!d || d.n !== n) throw new Error(`recordedRandperm: draw ${next - 1} is randperm(${d?.n}), asked randperm(${n})`);
    const perm = new Int32Array(n);
    perm.set(d.first);
    const taken = new Uint8Array(n);
    for (const p of d.first) taken[p] = 1;
    let k = d.first.length;
    for (let i = 0; i < n; i++) if (!taken[i]) perm[k++] = i;
    return perm;
  };
  return { randperm, used: () => next };
}

/** The generator's level maps hash_uniform('input.rpn.<case>.p<l>') (NCHW -> NHWC), with the tie fill from column w // 2. */
export function rpnFeatures(f: RpnFixture, c: RpnCase): Record<string, tf.Tensor4D> {
  const out: Record<string, tf.Tensor4D> = {};
  const ch = f.channels;
  const fill = Float32Array.from(hashUniform('input.rpn.ties', ch), (u) => Math.fround(f.tieFill * Math.fround(u)));
  f.featureSizes.forEach(([h, w], l) => {
    const data = Float32Array.from(hashUniform(`input.rpn.${c.name}.p${l + 2}`, 2 * ch * h * w));
    if (c.ties) {
      for (let i = 0; i < data.length; i++) {
        const x = i % w;
        if (x >= Math.floor(w / 2)) data[i] = fill[Math.floor(i / (h * w)) % ch];
      }
    }
    out[LEVEL_NAMES[l]] = tf.tidy(() => tf.transpose(tf.tensor4d(data, [2, ch, h, w]), [0, 2, 3, 1]));
  });
  return out;
}

export interface BuiltCase {
  rpn: RegionProposalNetwork;
  images: ImageList;
  features: Record<string, tf.Tensor4D>;
  targets?: DetectionTargets[];
  randpermUsed: () => number;
  dispose: () => void;
}

export function buildCase(f: RpnFixture, c: RpnCase): BuiltCase {
  const recorded = recordedRandperm(c.randperm ?? []);
  const topN = c.mode === 'train' ? { preNmsTopN: { training: c.preNmsTopN, testing: 1000 }, postNmsTopN: { training: c.postNmsTopN, testing: 1000 } } : { preNmsTopN: { training: 2000, testing: c.preNmsTopN }, postNmsTopN: { training: 2000, testing: c.postNmsTopN } };
  const rpn = new RegionProposalNetwork({ inChannels: f.channels, ...topN, randperm: recorded.randperm });
  fillHashWeights(rpn);
  rpn.train(c.mode === 'train');
  const images: ImageList = { tensor: tf.zeros([2, f.padded[0], f.padded[1], 3]) as tf.Tensor4D, imageSizes: f.imageSizes.map(([h, w]) => [h, w] as [number, number]) };
  const features = rpnFeatures(f, c);
  const targets = c.targets?.map((boxes) => ({
    boxes: tf.tensor2d(boxes.flat(), [boxes.length, 4], 'float32'),
    labels: tf.ones([boxes.length], 'int32') as tf.Tensor1D,
  }));
  return {
    rpn,
    images,
    features,
    targets,
    randpermUsed: recorded.used,
    dispose: () => {
      rpn.dispose();
      images.tensor.dispose();
      tf.dispose(Object.values(features));
      targets?.forEach((t) => tf.dispose([t.boxes, t.labels]));
    },
  };
}

/** Worst per-value error |got - ref| / max(|ref|, 1) (boxes are pixels, scores in [0, 1]). */
export function worstError(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (got.length !== ref.length) throw new Error(`worstError: ${got.length} values against ${ref.length}`);
  let worst = 0;
  for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref[i]) / Math.max(Math.abs(ref[i]), 1));
  return worst;
}

function relative(got: number, ref: number): number {
  return Math.abs(got - ref) / Math.max(Math.abs(ref), 1e-30);
}

export interface CaseErrors {
  boxes: number;
  scores: number;
  sums: number;
  losses: number;
}

/** Worst relative error a case may show against the committed fixture (made by the same torch run). */
export const RPN_TOLERANCE = 1e-5;

/**
 * Runs one case and asserts every stored number to `tolerance` (a fresh torchvision run on another
 * machine adds the reference's own drift); returns the worst errors seen.
 */
export function checkRpnCase(f: RpnFixture, c: RpnCase, tolerance = RPN_TOLERANCE): CaseErrors {
  const built = buildCase(f, c);
  const errors: CaseErrors = { boxes: 0, scores: 0, sums: 0, losses: 0 };
  try {
    const out: RpnOutput = built.rpn.forward(built.images, built.features, built.targets);
    c.images.forEach((ref, i) => {
      const boxes = out.proposals[i].dataSync();
      const scores = out.scores[i].dataSync();
      expect([c.name, i, out.proposals[i].shape]).toEqual([c.name, i, [ref.count, 4]]);
      const head = ref.scores.length;
      errors.boxes = Math.max(errors.boxes, worstError(boxes.subarray(0, 4 * head), ref.boxes));
      errors.scores = Math.max(errors.scores, worstError(scores.subarray(0, head), ref.scores));
      let boxSum = 0;
      let weighted = 0;
      let scoreSum = 0;
      for (let k = 0; k < ref.count; k++) {
        const row = boxes[4 * k] + boxes[4 * k + 1] + boxes[4 * k + 2] + boxes[4 * k + 3];
        boxSum += row;
        weighted += row * ((k % 97) + 1);
        scoreSum += scores[k];
      }
      errors.sums = Math.max(errors.sums, relative(boxSum, ref.boxSum), relative(weighted, ref.boxWeightedSum), relative(scoreSum, ref.scoreSum));
    });
    if (c.losses) {
      expect(out.losses).toBeDefined();
      const lo = out.losses!.lossObjectness.dataSync()[0];
      const lb = out.losses!.lossRpnBoxReg.dataSync()[0];
      errors.losses = Math.max(c.losses.lossRpnBoxReg === 0 ? Math.abs(lb) : relative(lb, c.losses.lossRpnBoxReg), relative(lo, c.losses.lossObjectness));
      expect(built.randpermUsed()).toBe(c.randperm!.length);
    } else {
      expect(out.losses).toBeUndefined();
    }
    if (c.labelCounts) checkLabelCounts(built, c);
    tf.dispose([out.proposals, out.scores, out.losses ? [out.losses.lossObjectness, out.losses.lossRpnBoxReg] : []]);
  } finally {
    built.dispose();
  }
  expect([c.name, errors.boxes < tolerance, errors.scores < tolerance, errors.sums < tolerance, errors.losses < tolerance]).toEqual([c.name, true, true, true, true]);
  return errors;
}

/** Positive / negative / ignored anchors per image against torchvision's assign_targets_to_anchors. */
function checkLabelCounts(built: BuiltCase, c: RpnCase): void {
  const maps = Object.values(built.features);
  const anchorsHost = built.rpn.anchorGenerator.anchorsHost([built.images.tensor.shape[1], built.images.tensor.shape[2]], maps.map((m) => [m.shape[1], m.shape[2]] as const));
  const counts = built.targets!.map((t) => {
    const { labels } = assignTargetsToAnchors(anchorsHost, t.boxes, built.rpn.proposalMatcher);
    let positive = 0;
    let negative = 0;
    let ignored = 0;
    for (const l of labels) {
      if (l === 1) positive++;
      else if (l === 0) negative++;
      else ignored++;
    }
    return { positive, negative, ignored };
  });
  expect(counts).toEqual(c.labelCounts);
}
