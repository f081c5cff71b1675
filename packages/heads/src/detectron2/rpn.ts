/**
 * detectron2's RPN (modeling/proposal_generator/rpn.py @02b5c4e, StandardRPNHead) on NHWC maps.
 * The head is torchvision's RpnHead with one 3x3 conv (child `rpn_head`; the checkpoint adapter
 * maps its names to detectron2's conv / objectness_logits / anchor_deltas); anchors come from
 * Detectron2AnchorGenerator (unrounded, declared strides, offset 0). Proposals: per image and
 * level the top preNmsTopK logits (torch's topk order), decoded with weights (1, 1, 1, 1) and
 * the log(1000/16) clamp, then rpn-proposals.ts (clip, w, h > minSize, batched NMS by level on
 * the logits, first postNmsTopK). Training adds rpn-loss.ts. The selected deltas go through the
 * host, so proposals carry no gradient (detectron2 decodes under no_grad).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@tfvision/nn';
import type { RandpermSource } from '../ops/balanced-sampler.js';
import { BoxCoder } from '../ops/box-coder.js';
import { Matcher } from '../ops/matcher.js';
import { topCandidatesPerLevel } from '../rpn/filter-proposals.js';
import { RpnHead } from '../rpn/rpn-head.js';
import type { TrainTestCounts } from '../rpn/rpn-options.js';
import { checkImageList, type ImageList } from '../structures/image-list.js';
import { Detectron2AnchorGenerator } from './anchors.js';
import { detectron2RpnLosses, type Detectron2RpnLosses } from './rpn-loss.js';
import { selectDetectron2Proposals } from './rpn-proposals.js';
import { seededRandperm } from './subsample-labels.js';

const OP = 'Detectron2Rpn';

export interface Detectron2RpnOptions {
  inChannels: number;
  /** Anchor sizes per level (ANCHOR_GENERATOR.SIZES). */
  anchorSizes: readonly (readonly number[])[];
  aspectRatios: readonly number[];
  /** Stride of each input level (the FPN's declared p2..p6 strides). */
  strides: readonly number[];
  /** ANCHOR_GENERATOR.OFFSET (0). */
  anchorOffset?: number;
  /** RPN.PRE_NMS_TOPK_TRAIN / _TEST, per level. */
  preNmsTopK: TrainTestCounts;
  /** RPN.POST_NMS_TOPK_TRAIN / _TEST, per image. */
  postNmsTopK: TrainTestCounts;
  nmsThresh: number;
  /** PROPOSAL_GENERATOR.MIN_SIZE: proposals need w, h > this (0). */
  minSize: number;
  /** RPN.IOU_THRESHOLDS [bg, fg]. */
  iouThresholds: readonly [number, number];
  batchSizePerImage: number;
  positiveFraction: number;
  /** RPN.SMOOTH_L1_BETA (0: L1). */
  smoothL1Beta: number;
  /** torch.randperm's stand-in in the sampler (default seeded). */
  randperm?: RandpermSource;
}

/** A type, not an interface, so tf.tidy can return it. */
export type Detectron2RpnOutput = {
  /** Per image: proposals [K_i, 4] in the padded batch's pixels, clipped to the image. */
  proposals: tf.Tensor2D[];
  /** Per image: their objectness logits, decreasing. */
  logits: tf.Tensor1D[];
  losses?: Detectron2RpnLosses;
};

export class Detectron2Rpn extends Module {
  readonly rpnHead: RpnHead;
  readonly anchorGenerator: Detectron2AnchorGenerator;
  readonly boxCoder = new BoxCoder([1, 1, 1, 1]);
  readonly anchorMatcher: Matcher;
  readonly options: Readonly<Detectron2RpnOptions>;
  private readonly randperm: RandpermSource;

  constructor(o: Detectron2RpnOptions) {
    super();
    this.options = o;
    this.anchorGenerator = new Detectron2AnchorGenerator({ sizes: o.anchorSizes, aspectRatios: o.aspectRatios, strides: o.strides, offset: o.anchorOffset ?? 0 });
    const perLocation = this.anchorGenerator.numAnchorsPerLocation();
    if (perLocation.some((a) => a !== perLocation[0])) throw new Error(`${OP}: every level needs the same number of anchors per location, got [${perLocation.join(', ')}]`);
    const [bg, fg] = o.iouThresholds;
    this.anchorMatcher = new Matcher(fg, bg, true);
    this.randperm = o.randperm ?? seededRandperm(0);
    this.rpnHead = this.registerModule('rpn_head', new RpnHead({ inChannels: o.inChannels, numAnchors: perLocation[0], convDepth: 1 }));
  }

  /**
   * @param images the padded batch and each image's size (clipping uses the image's)
   * @param features the FPN maps in level order (p2..p6), NHWC
   * @param gtBoxes per image GT boxes [G_i, 4]; required in training mode
   */
  forward(images: ImageList, features: Record<string, tf.Tensor4D>, gtBoxes?: readonly tf.Tensor2D[]): Detectron2RpnOutput {
    checkImageList(images, OP);
    const maps = Object.values(features);
    const n = images.tensor.shape[0];
    if (maps.length !== this.anchorGenerator.numLevels) throw new Error(`${OP}: features has ${maps.length} levels (${Object.keys(features).join(', ')}) but there are ${this.anchorGenerator.numLevels} anchor levels`);
    maps.forEach((f, l) => {
      if (f.rank !== 4 || f.shape[0] !== n || f.shape[3] !== this.options.inChannels) throw new Error(`${OP}: features.${Object.keys(features)[l]} must be NHWC [${n}, h, w, ${this.options.inChannels}], got [${f.shape.join(', ')}]`);
    });
    if (this.training && (!gtBoxes || gtBoxes.length !== n)) throw new Error(`${OP}: training needs one GT box tensor per image (${n}), got ${gtBoxes ? gtBoxes.length : 'none'}`);
    const featureSizes = maps.map((f) => [f.shape[1], f.shape[2]] as [number, number]);
    const anchors = this.anchorGenerator.anchorsHost(featureSizes);
    const perLevel = this.anchorGenerator.numAnchorsPerLevel(featureSizes);
    const total = anchors.length / 4;
    return tf.tidy(() => {
      const head = this.rpnHead.forward(maps);
      const objectness = tf.concat(head.objectness.map((o) => tf.reshape(o, [n, -1])), 1) as tf.Tensor2D;
      const deltas = tf.reshape(tf.concat(head.deltas.map((d) => tf.reshape(d, [n, -1, 4])), 1), [n * total, 4]) as tf.Tensor2D;
      const out: Detectron2RpnOutput = this.proposals(objectness, deltas, anchors, perLevel, images.imageSizes);
      if (this.training && gtBoxes) {
        const { batchSizePerImage, positiveFraction, smoothL1Beta } = this.options;
        out.losses = detectron2RpnLosses(tf.reshape(objectness, [n * total]) as tf.Tensor1D, deltas, anchors, gtBoxes, { matcher: this.anchorMatcher, boxCoder: this.boxCoder, batchSizePerImage, positiveFraction, smoothL1Beta, randperm: this.randperm });
      }
      return out;
    });
  }

  private proposals(objectness: tf.Tensor2D, deltas: tf.Tensor2D, anchors: Float32Array, perLevel: number[], imageSizes: [number, number][]): Detectron2RpnOutput {
    const [n, total] = objectness.shape;
    const logits = objectness.dataSync() as Float32Array;
    const preNms = this.training ? this.options.preNmsTopK.training : this.options.preNmsTopK.testing;
    const postNms = this.training ? this.options.postNmsTopK.training : this.options.postNmsTopK.testing;
    const candidates = Array.from({ length: n }, (_, i) => topCandidatesPerLevel(logits.subarray(i * total, (i + 1) * total), perLevel, preNms));
    const rows = Int32Array.from(candidates.flatMap((c, i) => Array.from(c.anchors, (a) => i * total + a)));
    const m = rows.length;
    const anchorRows = new Float32Array(4 * m);
    const candidateLogits = new Float32Array(m);
    rows.forEach((r, k) => {
      const a = r % total;
      anchorRows.set(anchors.subarray(4 * a, 4 * a + 4), 4 * k);
      candidateLogits[k] = logits[r];
    });
    const boxes = tf.tidy(() => {
      const selected = tf.tensor2d(tf.gather(deltas, tf.tensor1d(rows, 'int32')).dataSync() as Float32Array, [m, 4]);
      return this.boxCoder.decodeSingle(selected, tf.tensor2d(anchorRows, [m, 4])).dataSync() as Float32Array;
    });
    const proposals: tf.Tensor2D[] = [];
    const outLogits: tf.Tensor1D[] = [];
    let start = 0;
    candidates.forEach((c, i) => {
      const count = c.anchors.length;
      const kept = selectDetectron2Proposals(boxes.subarray(4 * start, 4 * (start + count)), candidateLogits.subarray(start, start + count), c.levels, imageSizes[i], { postNmsTopK: postNms, nmsThresh: this.options.nmsThresh, minSize: this.options.minSize });
      proposals.push(tf.tensor2d(kept.boxes, [kept.logits.length, 4], 'float32'));
      outLogits.push(tf.tensor1d(kept.logits, 'float32'));
      start += count;
    });
    return { proposals, logits: outLogits };
  }
}
