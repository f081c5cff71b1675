/**
 * RoIHeads equal to torchvision 0.14 `models/detection/roi_heads.py` (Faster R-CNN, and Mask
 * R-CNN with a mask branch; DETECTION-SEMANTICS.md sections 5-9): proposals are pooled from the
 * FPN levels (MultiScaleRoIAlign), run through the box head and predictor, and either
 * post-processed into detections (eval) or, after ground truth is appended, matched and
 * sampled, turned into the Fast R-CNN and mask losses (training). Children carry torchvision's
 * names (`box_head`, `box_predictor`, `mask_head`, `mask_predictor`), so a torchvision
 * `roi_heads.*` checkpoint loads unchanged; the poolers hold no weights.
 * Detections are in the resized image's coordinates and their masks are the 28x28
 * probabilities of the detection's own class: pasting into the image is the transform's
 * postprocess, as in torchvision.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@tfvision/nn';
import type { BalancedPositiveNegativeSampler } from '../ops/balanced-sampler.js';
import type { BoxCoder } from '../ops/box-coder.js';
import type { Matcher } from '../ops/matcher.js';
import type { MultiScaleRoIAlign } from '../ops/multi-scale-roi-align.js';
import type { DetectionTargets, Detections } from '../structures/instances.js';
import type { BoxHead } from './box-head.js';
import type { FastRcnnPredictor } from './box-predictor.js';
import { fastRcnnLoss } from './fast-rcnn-loss.js';
import { maskRcnnLoss, pickClassChannel, type MaskLossImage } from './mask-rcnn-loss.js';
import type { MaskRcnnHeads, MaskRcnnPredictor } from './mask-head.js';
import { postprocessDetections, type HostDetections } from './postprocess-detections.js';
import { resolveRoIHeadsOptions, type RoIHeadsOptions } from './roi-heads-options.js';
import { selectTrainingSamples, type HostTargets, type TrainingSamples } from './training-samples.js';

export interface RoIHeadsLosses {
  lossClassifier: tf.Scalar;
  lossBoxReg: tf.Scalar;
  /** Mask R-CNN only. */
  lossMask?: tf.Scalar;
}

export interface RoIHeadsOutput {
  /** One per image in eval mode; empty in training, as torchvision. */
  detections: Detections[];
  /** Training mode only. */
  losses?: RoIHeadsLosses;
}

const OP = 'RoIHeads';

export class RoIHeads extends Module {
  readonly boxRoiPool: MultiScaleRoIAlign;
  readonly boxHead: BoxHead;
  readonly boxPredictor: FastRcnnPredictor;
  readonly maskRoiPool?: MultiScaleRoIAlign;
  readonly maskHead?: MaskRcnnHeads;
  readonly maskPredictor?: MaskRcnnPredictor;
  readonly boxCoder: BoxCoder;
  readonly proposalMatcher: Matcher;
  readonly fgBgSampler: BalancedPositiveNegativeSampler;
  readonly scoreThresh: number;
  readonly nmsThresh: number;
  readonly detectionsPerImg: number;
  readonly numClasses: number;

  constructor(options: RoIHeadsOptions) {
    super();
    const o = resolveRoIHeadsOptions(options);
    this.boxRoiPool = o.boxRoiPool;
    this.boxHead = this.registerModule('box_head', o.boxHead);
    this.boxPredictor = this.registerModule('box_predictor', o.boxPredictor);
    if (o.mask) {
      this.maskRoiPool = o.mask.roiPool;
      this.maskHead = this.registerModule('mask_head', o.mask.head);
      this.maskPredictor = this.registerModule('mask_predictor', o.mask.predictor);
    }
    this.numClasses = o.boxPredictor.numClasses;
    this.boxCoder = o.boxCoder;
    this.proposalMatcher = o.proposalMatcher;
    this.fgBgSampler = o.fgBgSampler;
    this.scoreThresh = o.scoreThresh;
    this.nmsThresh = o.nmsThresh;
    this.detectionsPerImg = o.detectionsPerImg;
  }

  get hasMask(): boolean {
    return this.maskHead !== undefined;
  }

  /**
   * features: NHWC maps by level name (p2..p5 at least; others are ignored); proposals: one
   * [N_i, 4] per image; imageSizes: each image's (height, width) before padding; targets:
   * required in training mode (masks too with a mask branch).
   */
  forward(features: Readonly<Record<string, tf.Tensor4D>>, proposals: readonly tf.Tensor2D[], imageSizes: readonly (readonly [number, number])[], targets?: readonly DetectionTargets[]): RoIHeadsOutput {
    this.checkInputs(features, proposals, imageSizes);
    const hostTargets = this.training ? this.checkTargets(targets, imageSizes.length) : undefined;
    let out: RoIHeadsOutput = { detections: [] };
    tf.tidy(() => {
      out = hostTargets ? this.trainingForward(features, proposals, imageSizes, hostTargets, targets as readonly DetectionTargets[]) : this.inferenceForward(features, proposals, imageSizes);
      const outputs: tf.Tensor[] = out.detections.flatMap((d) => [d.boxes, d.scores, d.labels, ...(d.masks ? [d.masks] : [])]);
      if (out.losses) outputs.push(...Object.values(out.losses));
      outputs.forEach((t) => tf.keep(t));
    });
    return out;
  }

  private boxOutputs(features: Readonly<Record<string, tf.Tensor4D>>, proposals: readonly tf.Tensor2D[], imageSizes: readonly (readonly [number, number])[]) {
    const pooled = this.boxRoiPool.forward(features, proposals, imageSizes);
    return this.boxPredictor.forward(this.boxHead.forward(pooled));
  }

  private maskLogits(features: Readonly<Record<string, tf.Tensor4D>>, boxes: readonly tf.Tensor2D[], imageSizes: readonly (readonly [number, number])[]): tf.Tensor4D {
    const pooled = (this.maskRoiPool as MultiScaleRoIAlign).forward(features, boxes, imageSizes);
    return (this.maskPredictor as MaskRcnnPredictor).forward((this.maskHead as MaskRcnnHeads).forward(pooled));
  }

  private inferenceForward(features: Readonly<Record<string, tf.Tensor4D>>, proposals: readonly tf.Tensor2D[], imageSizes: readonly (readonly [number, number])[]): RoIHeadsOutput {
    const { classLogits, boxDeltas } = this.boxOutputs(features, proposals, imageSizes);
    const host = postprocessDetections(classLogits, boxDeltas, proposals, imageSizes, { boxCoder: this.boxCoder, scoreThresh: this.scoreThresh, nmsThresh: this.nmsThresh, detectionsPerImg: this.detectionsPerImg });
    const detections: Detections[] = host.map((h) => ({
      boxes: tf.tensor2d(h.boxes, [h.scores.length, 4]),
      scores: tf.tensor1d(h.scores, 'float32'),
      labels: tf.tensor1d(h.labels, 'int32'),
    }));
    if (this.hasMask) {
      const masks = this.inferMasks(features, detections, host, imageSizes);
      detections.forEach((d, i) => (d.masks = masks[i]));
    }
    return { detections };
  }

  /** torchvision maskrcnn_inference: sigmoid of the mask logits on the final boxes, the label's channel. */
  private inferMasks(features: Readonly<Record<string, tf.Tensor4D>>, detections: readonly Detections[], host: readonly HostDetections[], imageSizes: readonly (readonly [number, number])[]): tf.Tensor3D[] {
    const m = 2 * (this.maskRoiPool as MultiScaleRoIAlign).outputSize[0];
    const counts = host.map((h) => h.labels.length);
    const total = counts.reduce((a, b) => a + b, 0);
    if (total === 0) return counts.map(() => tf.tensor3d(new Float32Array(0), [0, m, m]));
    const labels = new Int32Array(total);
    let at = 0;
    for (const h of host) {
      labels.set(h.labels, at);
      at += h.labels.length;
    }
    const probs = pickClassChannel(tf.sigmoid(this.maskLogits(features, detections.map((d) => d.boxes), imageSizes)), labels);
    at = 0;
    return counts.map((n) => {
      const part = tf.slice(probs, [at, 0, 0], [n, -1, -1]);
      at += n;
      return part;
    });
  }

  private trainingForward(features: Readonly<Record<string, tf.Tensor4D>>, proposals: readonly tf.Tensor2D[], imageSizes: readonly (readonly [number, number])[], hostTargets: HostTargets[], targets: readonly DetectionTargets[]): RoIHeadsOutput {
    const samples = selectTrainingSamples(
      proposals.map((p) => p.dataSync() as Float32Array),
      hostTargets,
      { matcher: this.proposalMatcher, sampler: this.fgBgSampler, boxCoder: this.boxCoder },
    );
    const { classLogits, boxDeltas } = this.boxOutputs(features, samples.proposals, imageSizes);
    const losses: RoIHeadsLosses = fastRcnnLoss(classLogits, boxDeltas, concatInts(samples.labels), samples.regressionTargets);
    if (this.hasMask) losses.lossMask = this.maskLoss(features, imageSizes, samples, hostTargets, targets);
    return { detections: [], losses };
  }

  /** The mask loss over the sampled positives only, as torchvision trains the mask branch. */
  private maskLoss(features: Readonly<Record<string, tf.Tensor4D>>, imageSizes: readonly (readonly [number, number])[], samples: TrainingSamples, hostTargets: HostTargets[], targets: readonly DetectionTargets[]): tf.Scalar {
    const images: MaskLossImage[] = samples.labels.map((labels, img) => {
      const positives: number[] = [];
      labels.forEach((l, i) => l > 0 && positives.push(i));
      const rows = samples.hostProposals[img];
      const boxes = new Float32Array(4 * positives.length);
      const matchedIdxs = new Int32Array(positives.length);
      positives.forEach((i, k) => {
        boxes.set(rows.subarray(4 * i, 4 * i + 4), 4 * k);
        matchedIdxs[k] = samples.matchedIdxs[img][i];
      });
      return { gtMasks: targets[img].masks as tf.Tensor3D, gtLabels: hostTargets[img].labels, boxes, matchedIdxs };
    });
    const logits = this.maskLogits(features, images.map((im) => tf.tensor2d(im.boxes, [im.matchedIdxs.length, 4])), imageSizes);
    return maskRcnnLoss(logits, images);
  }

  private checkInputs(features: Readonly<Record<string, tf.Tensor4D>>, proposals: readonly tf.Tensor2D[], imageSizes: readonly (readonly [number, number])[]): void {
    if (!Array.isArray(imageSizes)) throw new Error(`${OP}: imageSizes must list each image's (height, width), got ${typeof imageSizes}`);
    imageSizes.forEach((s, i) => {
      if (!Array.isArray(s) || s.length !== 2 || !s.every((v) => Number.isFinite(v) && v > 0)) throw new Error(`${OP}: imageSizes[${i}] must be (height, width) > 0, got ${JSON.stringify(s)}`);
    });
    if (!Array.isArray(proposals) || proposals.length !== imageSizes.length) {
      throw new Error(`${OP}: proposals must hold one [N, 4] tensor per image (${imageSizes.length}), got ${Array.isArray(proposals) ? proposals.length : typeof proposals}`);
    }
    proposals.forEach((p, i) => {
      if (!(p instanceof tf.Tensor) || p.rank !== 2 || p.shape[1] !== 4 || p.dtype !== 'float32') {
        throw new Error(`${OP}: proposals[${i}] must be a float32 [N, 4] tensor, got ${p instanceof tf.Tensor ? `${p.dtype} [${p.shape.join(', ')}]` : typeof p}`);
      }
    });
    const names = new Set([...this.boxRoiPool.featmapNames, ...(this.maskRoiPool?.featmapNames ?? [])]);
    for (const name of names) {
      const x = features[name];
      if (x === undefined) throw new Error(`${OP}: features is missing level "${name}" (have: ${Object.keys(features).join(', ') || 'none'})`);
      if (x.rank !== 4 || x.shape[0] !== imageSizes.length) throw new Error(`${OP}: features "${name}" must be NHWC with ${imageSizes.length} images, got [${x.shape.join(', ')}]`);
    }
  }

  /** torchvision check_targets, plus the shapes and class range; returns boxes and labels on the host. */
  private checkTargets(targets: readonly DetectionTargets[] | undefined, numImages: number): HostTargets[] {
    if (targets === undefined) throw new Error(`${OP}: targets are required in training mode (call eval() for inference)`);
    if (targets.length !== numImages) throw new Error(`${OP}: targets must hold one entry per image (${numImages}), got ${targets.length}`);
    return targets.map((t, i) => {
      if (!t.boxes || t.boxes.rank !== 2 || t.boxes.shape[1] !== 4 || t.boxes.dtype !== 'float32') throw new Error(`${OP}: targets[${i}].boxes must be a float32 [G, 4] tensor, got ${t.boxes ? `${t.boxes.dtype} [${t.boxes.shape.join(', ')}]` : 'none'}`);
      const g = t.boxes.shape[0];
      if (!t.labels || t.labels.rank !== 1 || t.labels.shape[0] !== g) throw new Error(`${OP}: targets[${i}].labels must be [${g}], got ${t.labels ? `[${t.labels.shape.join(', ')}]` : 'none'}`);
      const raw = t.labels.dataSync();
      raw.forEach((l) => {
        if (!(Number.isInteger(l) && l >= 1 && l < this.numClasses)) throw new Error(`${OP}: targets[${i}].labels must be class ids in 1..${this.numClasses - 1}, got ${l}`);
      });
      const labels = Int32Array.from(raw);
      if (this.hasMask) {
        if (!t.masks) throw new Error(`${OP}: targets[${i}].masks is required to train the mask branch`);
        if (t.masks.rank !== 3 || t.masks.shape[0] !== g) throw new Error(`${OP}: targets[${i}].masks must be [${g}, H, W], got [${t.masks.shape.join(', ')}]`);
      }
      return { boxes: Float32Array.from(t.boxes.dataSync()), labels };
    });
  }
}

function concatInts(parts: readonly Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
