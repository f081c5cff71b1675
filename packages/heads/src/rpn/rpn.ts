/**
 * torchvision 0.14's RegionProposalNetwork (models/detection/rpn.py) on NHWC feature maps.
 * The head (child `head`, so a detector that registers this as `rpn` loads `rpn.head.*`) scores
 * and regresses every anchor of every level; the anchors come from the AnchorGenerator on the
 * padded batch size, flattened level, y, x, anchor as torchvision's concat_box_prediction_layers.
 * Proposals: per image and level the top preNmsTopN logits (torch's topk order, ties included),
 * decoded with BoxCoder(1, 1, 1, 1), sigmoid, then clip, min size, score threshold, batched
 * NMS by level and the first postNmsTopN (filter-proposals.ts). The training forward adds the
 * losses of rpn-loss.ts. torchvision detaches the deltas before decoding; here the selected
 * deltas go through the host, so the proposals have no path on the gradient tape at all.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@tfvision/nn';
import { AnchorGenerator, type Size2 } from '../ops/anchor-generator.js';
import { BalancedPositiveNegativeSampler } from '../ops/balanced-sampler.js';
import { BoxCoder } from '../ops/box-coder.js';
import { Matcher } from '../ops/matcher.js';
import { checkImageList, type ImageList } from '../structures/image-list.js';
import type { DetectionTargets } from '../structures/instances.js';
import { filterImageProposals, topCandidatesPerLevel } from './filter-proposals.js';
import { RpnHead } from './rpn-head.js';
import { assignTargetsToAnchors, rpnLosses, type RpnLosses } from './rpn-loss.js';
import { resolveRpnOptions, type RegionProposalNetworkOptions, type ResolvedRpnOptions } from './rpn-options.js';

const OP = 'RegionProposalNetwork';

/** A type, not an interface, so tf.tidy can return it. */
export type RpnOutput = {
  /** Per image: proposals [K_i, 4] (x1, y1, x2, y2) in the padded batch's pixels, clipped to the image. */
  proposals: tf.Tensor2D[];
  /** Per image: the proposals' objectness probabilities [K_i], in decreasing order. */
  scores: tf.Tensor1D[];
  /** Only in training mode. */
  losses?: RpnLosses;
};

export class RegionProposalNetwork extends Module {
  readonly head: RpnHead;
  readonly anchorGenerator: AnchorGenerator;
  readonly boxCoder = new BoxCoder([1, 1, 1, 1]);
  readonly proposalMatcher: Matcher;
  readonly fgBgSampler: BalancedPositiveNegativeSampler;
  readonly options: Readonly<ResolvedRpnOptions>;

  constructor(options: RegionProposalNetworkOptions = {}) {
    super();
    const o = resolveRpnOptions(options);
    this.options = o;
    this.anchorGenerator = new AnchorGenerator({ sizes: o.anchorSizes, aspectRatios: o.aspectRatios });
    const perLocation = this.anchorGenerator.numAnchorsPerLocation();
    if (perLocation.some((a) => a !== perLocation[0])) {
      throw new Error(`${OP}: every level needs the same number of anchors per location (one shared head), got [${perLocation.join(', ')}]`);
    }
    this.head = this.registerModule('head', new RpnHead({ inChannels: o.inChannels, numAnchors: perLocation[0], convDepth: o.convDepth }));
    this.proposalMatcher = new Matcher(o.fgIouThresh, o.bgIouThresh, true);
    this.fgBgSampler = new BalancedPositiveNegativeSampler(o.batchSizePerImage, o.positiveFraction, { seed: o.samplerSeed, randperm: o.randperm });
  }

  /** Pre-NMS top-k per level for the current mode. */
  get preNmsTopN(): number {
    return this.training ? this.options.preNmsTopN.training : this.options.preNmsTopN.testing;
  }

  get postNmsTopN(): number {
    return this.training ? this.options.postNmsTopN.training : this.options.postNmsTopN.testing;
  }

  /**
   * @param images the padded batch and each image's size (anchors use the padded size, clipping the image's)
   * @param features the FPN maps in level order (p2..p6), NHWC [N, h_l, w_l, inChannels]
   * @param targets per image GT boxes; required in training mode
   */
  forward(images: ImageList, features: Record<string, tf.Tensor4D>, targets?: readonly DetectionTargets[]): RpnOutput {
    checkImageList(images, OP);
    const names = Object.keys(features);
    const maps = names.map((k) => features[k]);
    this.checkFeatures(images, names, maps);
    if (this.training) this.checkTargets(images, targets);
    const n = images.tensor.shape[0];
    const featureSizes = maps.map((f) => [f.shape[1], f.shape[2]] as Size2);
    const paddedSize: Size2 = [images.tensor.shape[1], images.tensor.shape[2]];
    const anchorsHost = this.anchorGenerator.anchorsHost(paddedSize, featureSizes);
    const perLevel = this.anchorGenerator.numAnchorsPerLevel(featureSizes);
    const total = anchorsHost.length / 4;
    return tf.tidy(() => {
      const head = this.head.forward(maps);
      const objectness = tf.concat(head.objectness.map((o) => tf.reshape(o, [n, -1])), 1) as tf.Tensor2D;
      const deltas = tf.reshape(tf.concat(head.deltas.map((d) => tf.reshape(d, [n, -1, 4])), 1), [n * total, 4]) as tf.Tensor2D;
      const out: RpnOutput = this.proposals(objectness, deltas, anchorsHost, perLevel, images.imageSizes);
      if (this.training && targets) {
        const assignments = targets.map((t) => assignTargetsToAnchors(anchorsHost, t.boxes, this.proposalMatcher));
        out.losses = rpnLosses(tf.reshape(objectness, [n * total]) as tf.Tensor1D, deltas, anchorsHost, assignments, this.fgBgSampler, this.boxCoder);
      }
      return out;
    });
  }

  private proposals(objectness: tf.Tensor2D, deltas: tf.Tensor2D, anchors: Float32Array, perLevel: number[], imageSizes: [number, number][]): RpnOutput {
    const [n, total] = objectness.shape;
    const logits = objectness.dataSync() as Float32Array;
    const candidates = Array.from({ length: n }, (_, i) => topCandidatesPerLevel(logits.subarray(i * total, (i + 1) * total), perLevel, this.preNmsTopN));
    const rows = Int32Array.from(candidates.flatMap((c, i) => Array.from(c.anchors, (a) => i * total + a)));
    const m = rows.length;
    const anchorRows = new Float32Array(4 * m);
    const candidateLogits = new Float32Array(m);
    rows.forEach((r, k) => {
      const a = r % total;
      anchorRows.set(anchors.subarray(4 * a, 4 * a + 4), 4 * k);
      candidateLogits[k] = logits[r];
    });
    const { boxes, probs } = tf.tidy(() => {
      const selected = tf.gather(deltas, tf.tensor1d(rows, 'int32'));
      const detached = tf.tensor2d(selected.dataSync() as Float32Array, [m, 4]);
      return {
        boxes: this.boxCoder.decodeSingle(detached, tf.tensor2d(anchorRows, [m, 4])).dataSync() as Float32Array,
        probs: tf.sigmoid(tf.tensor1d(candidateLogits, 'float32')).dataSync() as Float32Array,
      };
    });
    const settings = { postNmsTopN: this.postNmsTopN, nmsThresh: this.options.nmsThresh, scoreThresh: this.options.scoreThresh, minSize: this.options.minSize };
    const proposals: tf.Tensor2D[] = [];
    const scores: tf.Tensor1D[] = [];
    let start = 0;
    candidates.forEach((c, i) => {
      const count = c.anchors.length;
      const kept = filterImageProposals(boxes.subarray(4 * start, 4 * (start + count)), probs.subarray(start, start + count), c.levels, imageSizes[i], settings);
      proposals.push(tf.tensor2d(kept.boxes, [kept.scores.length, 4], 'float32'));
      scores.push(tf.tensor1d(kept.scores, 'float32'));
      start += count;
    });
    return { proposals, scores };
  }

  private checkFeatures(images: ImageList, names: string[], maps: tf.Tensor4D[]): void {
    const levels = this.anchorGenerator.numLevels;
    if (maps.length !== levels) {
      throw new Error(`${OP}: features has ${maps.length} levels (${names.join(', ')}) but anchorSizes has ${levels}`);
    }
    const n = images.tensor.shape[0];
    const c = this.options.inChannels;
    maps.forEach((f, l) => {
      if (!(f instanceof tf.Tensor) || f.rank !== 4 || f.shape[0] !== n || f.shape[3] !== c) {
        const got = f instanceof tf.Tensor ? `[${f.shape.join(', ')}]` : typeof f;
        throw new Error(`${OP}: features.${names[l]} must be NHWC [${n}, h, w, ${c}], got ${got}`);
      }
    });
  }

  private checkTargets(images: ImageList, targets: readonly DetectionTargets[] | undefined): void {
    const n = images.tensor.shape[0];
    if (targets === undefined || targets === null) throw new Error(`${OP}: targets are required in training mode, got ${String(targets)}`);
    if (targets.length !== n) throw new Error(`${OP}: targets must list one entry per image (${n}), got ${targets.length}`);
    targets.forEach((t, i) => {
      const b = t?.boxes;
      if (!(b instanceof tf.Tensor) || b.rank !== 2 || b.shape[1] !== 4) {
        throw new Error(`${OP}: targets[${i}].boxes must be [G, 4], got ${b instanceof tf.Tensor ? `[${b.shape.join(', ')}]` : typeof b}`);
      }
      if (b.dtype !== 'float32') throw new Error(`${OP}: targets[${i}].boxes must be float32, got ${b.dtype}`);
    });
  }
}
