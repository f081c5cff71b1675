/**
 * Cascade R-CNN's RoI heads (Cai and Vasconcelos, "Cascade R-CNN: Delving into High Quality
 * Object Detection") as detectron2's CascadeROIHeads (modeling/roi_heads/cascade_rcnn.py
 * @02b5c4e; DETECTION-SEMANTICS.md section 12), composed from the standard parts run once per
 * stage: one pooler (ROIAlignV2: aligned, adaptive sampling, detectron2's level mapper, scales
 * 1/stride), and per stage a 2-fc box head (`box_head.{k}`), a class-agnostic predictor with the
 * background in the LAST column (`box_predictor.{k}`), a BoxCoder with the stage's weights and a
 * Matcher at the stage's IoU.
 * - Stage t + 1 pools the boxes stage t predicted for the same RoIs (detached, clipped; in
 *   training empty boxes are dropped and the rest re-matched to the ground truth, no resampling).
 * - Inference: the mean of the stages' softmax, the last stage's boxes, fast-rcnn-inference.ts
 *   (> scoreThresh, NMS, topK, no minimum size); the mask head runs on the final boxes.
 * - Training: ground truth appended to the RPN proposals and 512 RoIs sampled (1/4 positive) for
 *   stage 0 only; pooled features scaled by 1/stages on the way back; per-stage losses
 *   (loss_cls_stage{k}, loss_box_reg_stage{k}); the mask loss on stage 0's sampled positives.
 * Labels are detectron2's 0-based classes (K foreground classes; K is the background).
 */
import * as tf from '@tensorflow/tfjs-core';
import { binaryCrossEntropyWithLogits, Module, ModuleList } from '@tfvision/nn';
import type { RandpermSource } from '../ops/balanced-sampler.js';
import { BoxCoder, type BoxCoderWeights } from '../ops/box-coder.js';
import { boxIouArrays } from '../ops/box-ops.js';
import { Matcher } from '../ops/matcher.js';
import { MultiScaleRoIAlign } from '../ops/multi-scale-roi-align.js';
import { roiAlign } from '../ops/roi-align.js';
import { TwoMlpHead } from '../roi-heads/box-head.js';
import { FastRcnnPredictor } from '../roi-heads/box-predictor.js';
import { MaskRcnnHeads, MaskRcnnPredictor } from '../roi-heads/mask-head.js';
import { pickClassChannel } from '../roi-heads/mask-rcnn-loss.js';
import type { Detections } from '../structures/instances.js';
import { detectron2FastRcnnLoss } from '../detectron2/fast-rcnn-loss.js';
import { fastRcnnInferenceHost } from '../detectron2/fast-rcnn-inference.js';
import { scaleGradient } from '../detectron2/scale-gradient.js';
import { seededRandperm, subsampleLabels } from '../detectron2/subsample-labels.js';

const OP = 'CascadeRoIHeads';

export interface CascadeRoIHeadsOptions {
  inChannels: number;
  /** Foreground classes K (detectron2's ROI_HEADS.NUM_CLASSES); predictors have K + 1 columns. */
  numClasses: number;
  /** Levels to pool from (p2..p5) and their strides. */
  featmapNames: readonly string[];
  strides: readonly number[];
  /** ROI_BOX_CASCADE_HEAD.IOUS and .BBOX_REG_WEIGHTS, one per stage. */
  stageIous: readonly number[];
  stageWeights: readonly BoxCoderWeights[];
  /** ROI_BOX_HEAD.POOLER_RESOLUTION (7), POOLER_SAMPLING_RATIO (0), FC_DIM (1024). */
  poolSize: number;
  samplingRatio: number;
  representationSize: number;
  /** ROI_HEADS.BATCH_SIZE_PER_IMAGE (512), POSITIVE_FRACTION (0.25). */
  batchSizePerImage: number;
  positiveFraction: number;
  /** ROI_BOX_HEAD.SMOOTH_L1_BETA (0: L1). */
  smoothL1Beta: number;
  /** ROI_HEADS.SCORE_THRESH_TEST (0.05), NMS_THRESH_TEST (0.5), TEST.DETECTIONS_PER_IMAGE (100). */
  scoreThresh: number;
  nmsThresh: number;
  detectionsPerImage: number;
  /** MASK_ON: ROI_MASK_HEAD settings (14, 0, four 256 convs). */
  mask?: { poolSize: number; samplingRatio: number; convDims: number[] };
  /** torch.randperm's stand-in in the sampler (default seeded). */
  randperm?: RandpermSource;
}

/** One image's ground truth: 0-based classes, boxes and (for the mask branch) binary masks. */
export interface CascadeTargets {
  boxes: tf.Tensor2D;
  classes: Int32Array;
  masks?: tf.Tensor3D;
}

/** What each stage saw and predicted (host arrays, per image), for tests and inspection. */
export interface CascadeStageRecord {
  proposals: Float32Array[];
  /** Softmax of the stage's logits, [R_i, K + 1] row-major. */
  probs: Float32Array[];
  /** The stage's decoded boxes [R_i, 4]. */
  boxes: Float32Array[];
}

export type CascadeLosses = Record<string, tf.Scalar>;

interface StageSamples {
  proposals: Float32Array[];
  gtClasses: Int32Array[];
  gtBoxes: Float32Array[];
  matched: Int32Array[];
}

export class CascadeRoIHeads extends Module {
  readonly boxPooler: MultiScaleRoIAlign;
  readonly boxHead: ModuleList<TwoMlpHead>;
  readonly boxPredictor: ModuleList<FastRcnnPredictor>;
  readonly boxCoders: BoxCoder[];
  readonly matchers: Matcher[];
  readonly maskPooler?: MultiScaleRoIAlign;
  readonly maskHead?: MaskRcnnHeads;
  readonly maskPredictor?: MaskRcnnPredictor;
  readonly options: Readonly<CascadeRoIHeadsOptions>;
  private readonly randperm: RandpermSource;

  constructor(o: CascadeRoIHeadsOptions) {
    super();
    const stages = o.stageIous.length;
    if (stages < 1 || o.stageWeights.length !== stages) throw new Error(`${OP}: stageIous and stageWeights must list the same stages (>= 1), got ${o.stageIous.length} and ${o.stageWeights.length}`);
    if (!(Number.isInteger(o.numClasses) && o.numClasses >= 1)) throw new Error(`${OP}: numClasses must be a positive integer (foreground classes), got ${o.numClasses}`);
    if (o.featmapNames.length !== o.strides.length) throw new Error(`${OP}: featmapNames and strides must have the same length, got ${o.featmapNames.length} and ${o.strides.length}`);
    this.options = o;
    this.randperm = o.randperm ?? seededRandperm(0);
    const scales = o.strides.map((s) => 1 / s);
    this.boxPooler = new MultiScaleRoIAlign({ featmapNames: o.featmapNames, outputSize: o.poolSize, samplingRatio: o.samplingRatio, aligned: true, levelMapper: 'detectron2', scales });
    this.boxHead = this.registerModule('box_head', new ModuleList(o.stageIous.map(() => new TwoMlpHead({ inChannels: o.inChannels, resolution: o.poolSize, representationSize: o.representationSize }))));
    this.boxPredictor = this.registerModule('box_predictor', new ModuleList(o.stageIous.map(() => new FastRcnnPredictor({ inFeatures: o.representationSize, numClasses: o.numClasses + 1, classAgnostic: true }))));
    this.boxCoders = o.stageWeights.map((w) => new BoxCoder(w));
    this.matchers = o.stageIous.map((iou) => new Matcher(iou, iou, false));
    if (o.mask) {
      this.maskPooler = new MultiScaleRoIAlign({ featmapNames: o.featmapNames, outputSize: o.mask.poolSize, samplingRatio: o.mask.samplingRatio, aligned: true, levelMapper: 'detectron2', scales });
      this.maskHead = this.registerModule('mask_head', new MaskRcnnHeads({ inChannels: o.inChannels, layers: o.mask.convDims }));
      this.maskPredictor = this.registerModule('mask_predictor', new MaskRcnnPredictor({ inChannels: this.maskHead.outChannels, dimReduced: this.maskHead.outChannels, numClasses: o.numClasses }));
    }
  }

  get numStages(): number {
    return this.boxHead.items.length;
  }

  /** Stage boxes on the host: decode(deltas, proposals) with the stage's weights, split per image. */
  private predictBoxes(boxDeltas: tf.Tensor2D, proposals: readonly Float32Array[], stage: number): Float32Array[] {
    const all = concat(proposals);
    const decoded = tf.tidy(() => this.boxCoders[stage].decodeSingle(boxDeltas, tf.tensor2d(all, [all.length / 4, 4], 'float32')).dataSync() as Float32Array);
    return splitRows(decoded, proposals.map((p) => p.length / 4), 4);
  }

  /**
   * Eval: detections per image in the resized images' pixels (masks: [D, M, M] probabilities of
   * the detection's class), and what every stage saw.
   */
  infer(features: Readonly<Record<string, tf.Tensor4D>>, proposals: readonly tf.Tensor2D[], imageSizes: readonly (readonly [number, number])[]): { detections: Detections[]; stages: CascadeStageRecord[] } {
    this.checkInputs(features, proposals, imageSizes);
    const o = this.options;
    const stages: CascadeStageRecord[] = [];
    let current: Float32Array[] = proposals.map((p) => Float32Array.from(p.dataSync()));
    let meanProbs: Float32Array[] = [];
    let lastBoxes: Float32Array[] = [];
    const columns = o.numClasses + 1;
    for (let k = 0; k < this.numStages; k++) {
      if (k > 0) current = lastBoxes.map((b, i) => clipRows(b, imageSizes[i]));
      const stageProposals = current;
      const { probs, boxes } = tf.tidy(() => {
        const pooled = this.boxPooler.forward(features, stageProposals.map((p) => tf.tensor2d(p, [p.length / 4, 4], 'float32')), imageSizes);
        const { classLogits, boxDeltas } = this.boxPredictor.items[k].forward(this.boxHead.items[k].forward(pooled));
        return { probs: tf.softmax(classLogits, -1).dataSync() as Float32Array, boxes: this.predictBoxes(boxDeltas, stageProposals, k) };
      });
      const perImage = splitRows(probs, stageProposals.map((p) => p.length / 4), columns);
      stages.push({ proposals: stageProposals, probs: perImage, boxes });
      meanProbs = k === 0 ? perImage.map((p) => Float32Array.from(p)) : meanProbs.map((m, i) => addInto(m, perImage[i]));
      lastBoxes = boxes;
    }
    // detectron2: sum(stage probs) * (1.0 / stages), a float32 multiply by the rounded factor.
    const factor = Math.fround(1 / this.numStages);
    for (const m of meanProbs) for (let j = 0; j < m.length; j++) m[j] = Math.fround(m[j] * factor);
    const host = meanProbs.map((scores, i) => fastRcnnInferenceHost(lastBoxes[i], scores, columns, imageSizes[i], { scoreThresh: o.scoreThresh, nmsThresh: o.nmsThresh, topK: o.detectionsPerImage }));
    const detections: Detections[] = host.map((h) => ({ boxes: tf.tensor2d(h.boxes, [h.scores.length, 4], 'float32'), scores: tf.tensor1d(h.scores, 'float32'), labels: tf.tensor1d(h.labels, 'int32') }));
    if (this.maskHead) {
      const counts = host.map((h) => h.labels.length);
      const total = counts.reduce((a, b) => a + b, 0);
      const m = 2 * (this.maskPooler as MultiScaleRoIAlign).outputSize[0];
      const probs = total === 0 ? tf.zeros([0, m, m]) as tf.Tensor3D : tf.tidy(() => pickClassChannel(tf.sigmoid(this.maskLogits(features, detections.map((d) => d.boxes), imageSizes)), concatInts(host.map((h) => h.labels))));
      let at = 0;
      detections.forEach((d, i) => {
        d.masks = tf.slice(probs, [at, 0, 0], [counts[i], m, m]);
        at += counts[i];
      });
      probs.dispose();
    }
    return { detections, stages };
  }

  private maskLogits(features: Readonly<Record<string, tf.Tensor4D>>, boxes: readonly tf.Tensor2D[], imageSizes: readonly (readonly [number, number])[]): tf.Tensor4D {
    const pooled = (this.maskPooler as MultiScaleRoIAlign).forward(features, boxes, imageSizes);
    return (this.maskPredictor as MaskRcnnPredictor).forward((this.maskHead as MaskRcnnHeads).forward(pooled));
  }

  /** Stage 0's RoIs: ground truth appended, matched at the first IoU, 512 sampled (positives first, in permutation order). */
  private sampleStage0(proposals: readonly Float32Array[], targets: readonly HostTargets[]): StageSamples {
    const o = this.options;
    const out: StageSamples = { proposals: [], gtClasses: [], gtBoxes: [], matched: [] };
    proposals.forEach((own, img) => {
      const t = targets[img];
      const all = new Float32Array(own.length + t.boxes.length);
      all.set(own);
      all.set(t.boxes, own.length);
      const { matched, classes } = this.match(all, t, 0);
      const { positive, negative } = subsampleLabels(classes, o.batchSizePerImage, o.positiveFraction, o.numClasses, this.randperm);
      const sampled = [...positive, ...negative];
      out.proposals.push(gatherRowsHost(all, sampled));
      out.gtClasses.push(Int32Array.from(sampled, (i) => classes[i]));
      out.matched.push(Int32Array.from(sampled, (i) => matched[i]));
      out.gtBoxes.push(t.classes.length > 0 ? gatherRowsHost(t.boxes, sampled.map((i) => matched[i])) : gatherRowsHost(all, sampled));
    });
    return out;
  }

  /** Best GT per box at the stage's IoU: its class, or K (background) below the threshold or without GT. */
  private match(boxes: Float32Array, t: HostTargets, stage: number): { matched: Int32Array; classes: Int32Array } {
    const n = boxes.length / 4;
    const g = t.classes.length;
    const matched = new Int32Array(n);
    const classes = new Int32Array(n).fill(this.options.numClasses);
    if (g === 0 || n === 0) return { matched, classes };
    const quality = boxIouArrays(t.boxes, boxes);
    const m = this.matchers[stage].matchIndices(quality, g, n);
    for (let i = 0; i < n; i++) {
      // detectron2's Matcher keeps the argmax even below the threshold (only the label says background).
      let best = 0;
      for (let j = 1; j < g; j++) if (quality[j * n + i] > quality[best * n + i]) best = j;
      matched[i] = m[i] >= 0 ? m[i] : best;
      if (m[i] >= 0) classes[i] = t.classes[m[i]];
    }
    return { matched, classes };
  }

  /** Training: every stage's losses and, with a mask branch, loss_mask (proposals: the RPN's, per image). */
  losses(features: Readonly<Record<string, tf.Tensor4D>>, proposals: readonly tf.Tensor2D[], imageSizes: readonly (readonly [number, number])[], targets: readonly CascadeTargets[]): CascadeLosses {
    if (!this.training) throw new Error(`${OP}.losses: the heads are in eval mode; call train() first`);
    this.checkInputs(features, proposals, imageSizes);
    const hostTargets = this.checkTargets(targets, imageSizes.length);
    const o = this.options;
    const losses: CascadeLosses = {};
    const stage0 = this.sampleStage0(proposals.map((p) => Float32Array.from(p.dataSync())), hostTargets);
    let samples = stage0;
    let prevBoxes: Float32Array[] = [];
    tf.tidy(() => {
      for (let k = 0; k < this.numStages; k++) {
        if (k > 0) {
          const next: StageSamples = { proposals: [], gtClasses: [], gtBoxes: [], matched: [] };
          samples.proposals.forEach((_, i) => {
            const boxes = dropEmptyRows(clipRows(prevBoxes[i], imageSizes[i]));
            const { matched, classes } = this.match(boxes, hostTargets[i], k);
            next.proposals.push(boxes);
            next.gtClasses.push(classes);
            next.matched.push(matched);
            next.gtBoxes.push(hostTargets[i].classes.length > 0 ? gatherRowsHost(hostTargets[i].boxes, Array.from(matched)) : new Float32Array(boxes.length));
          });
          samples = next;
        }
        const props = samples.proposals.map((p) => tf.tensor2d(p, [p.length / 4, 4], 'float32'));
        const pooled = scaleGradient(this.boxPooler.forward(features, props, imageSizes), 1 / this.numStages);
        const { classLogits, boxDeltas } = this.boxPredictor.items[k].forward(this.boxHead.items[k].forward(pooled));
        prevBoxes = this.predictBoxes(boxDeltas, samples.proposals, k);
        const stage = detectron2FastRcnnLoss(classLogits, boxDeltas, concatInts(samples.gtClasses), concat(samples.proposals), concat(samples.gtBoxes), this.boxCoders[k], o.smoothL1Beta);
        losses[`loss_cls_stage${k}`] = tf.keep(stage.loss_cls);
        losses[`loss_box_reg_stage${k}`] = tf.keep(stage.loss_box_reg);
      }
      if (this.maskHead) losses.loss_mask = tf.keep(this.maskLoss(features, imageSizes, stage0, targets));
    });
    return losses;
  }

  /** detectron2's mask_rcnn_loss on stage 0's sampled foreground: targets are GT masks RoIAligned (aligned, adaptive) over the RoI and thresholded at 0.5. */
  private maskLoss(features: Readonly<Record<string, tf.Tensor4D>>, imageSizes: readonly (readonly [number, number])[], s: StageSamples, targets: readonly CascadeTargets[]): tf.Scalar {
    const k = this.options.numClasses;
    const boxes: tf.Tensor2D[] = [];
    const classes: number[] = [];
    const gtMasks: tf.Tensor3D[] = [];
    s.gtClasses.forEach((cls, img) => {
      const fg: number[] = [];
      cls.forEach((c, i) => c !== k && c !== -1 && fg.push(i));
      const rows = gatherRowsHost(s.proposals[img], fg);
      boxes.push(tf.tensor2d(rows, [fg.length, 4], 'float32'));
      for (const i of fg) classes.push(cls[i]);
      if (fg.length > 0) {
        const rois = new Float32Array(5 * fg.length);
        fg.forEach((i, j) => {
          rois[5 * j] = s.matched[img][i];
          rois.set(s.proposals[img].subarray(4 * i, 4 * i + 4), 5 * j + 1);
        });
        const m = 2 * (this.maskPooler as MultiScaleRoIAlign).outputSize[0];
        const masks = tf.expandDims(tf.cast(targets[img].masks as tf.Tensor3D, 'float32'), 3) as tf.Tensor4D;
        const pooled = roiAlign(masks, tf.tensor2d(rois, [fg.length, 5]), { outputSize: m, spatialScale: 1, samplingRatio: 0, aligned: true });
        gtMasks.push(tf.cast(tf.greaterEqual(tf.reshape(pooled, [fg.length, m, m]), 0.5), 'float32') as tf.Tensor3D);
      }
    });
    const logits = this.maskLogits(features, boxes, imageSizes);
    if (classes.length === 0) return tf.mul(tf.sum(logits), 0) as tf.Scalar;
    const target = gtMasks.length === 1 ? gtMasks[0] : tf.concat(gtMasks, 0);
    return binaryCrossEntropyWithLogits(pickClassChannel(logits, Int32Array.from(classes)), target);
  }

  private checkInputs(features: Readonly<Record<string, tf.Tensor4D>>, proposals: readonly tf.Tensor2D[], imageSizes: readonly (readonly [number, number])[]): void {
    if (proposals.length !== imageSizes.length) throw new Error(`${OP}: proposals must hold one [N, 4] tensor per image (${imageSizes.length}), got ${proposals.length}`);
    proposals.forEach((p, i) => {
      if (!(p instanceof tf.Tensor) || p.rank !== 2 || p.shape[1] !== 4 || p.dtype !== 'float32') throw new Error(`${OP}: proposals[${i}] must be a float32 [N, 4] tensor, got ${p instanceof tf.Tensor ? `${p.dtype} [${p.shape.join(', ')}]` : typeof p}`);
    });
    for (const name of this.options.featmapNames) {
      const x = features[name];
      if (x === undefined) throw new Error(`${OP}: features is missing level "${name}" (have: ${Object.keys(features).join(', ') || 'none'})`);
      if (x.rank !== 4 || x.shape[0] !== imageSizes.length) throw new Error(`${OP}: features "${name}" must be NHWC with ${imageSizes.length} images, got [${x.shape.join(', ')}]`);
    }
  }

  private checkTargets(targets: readonly CascadeTargets[], numImages: number): HostTargets[] {
    if (!Array.isArray(targets) || targets.length !== numImages) throw new Error(`${OP}: targets must hold one entry per image (${numImages}), got ${Array.isArray(targets) ? targets.length : typeof targets}`);
    return targets.map((t, i) => {
      if (!t.boxes || t.boxes.rank !== 2 || t.boxes.shape[1] !== 4) throw new Error(`${OP}: targets[${i}].boxes must be [G, 4], got ${t.boxes ? `[${t.boxes.shape.join(', ')}]` : 'none'}`);
      const g = t.boxes.shape[0];
      if (t.classes.length !== g) throw new Error(`${OP}: targets[${i}].classes must have ${g} entries, got ${t.classes.length}`);
      t.classes.forEach((c: number) => {
        if (!(Number.isInteger(c) && c >= 0 && c < this.options.numClasses)) throw new Error(`${OP}: targets[${i}].classes must be 0-based classes in 0..${this.options.numClasses - 1}, got ${c}`);
      });
      if (this.maskHead && (!t.masks || t.masks.rank !== 3 || t.masks.shape[0] !== g)) throw new Error(`${OP}: targets[${i}].masks must be [${g}, H, W] to train the mask branch, got ${t.masks ? `[${t.masks.shape.join(', ')}]` : 'none'}`);
      return { boxes: Float32Array.from(t.boxes.dataSync()), classes: t.classes };
    });
  }
}

interface HostTargets {
  boxes: Float32Array;
  classes: Int32Array;
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
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

function splitRows(flat: Float32Array, counts: readonly number[], width: number): Float32Array[] {
  let at = 0;
  return counts.map((n) => {
    const part = flat.slice(at * width, (at + n) * width);
    at += n;
    return part;
  });
}

function addInto(acc: Float32Array, x: Float32Array): Float32Array {
  for (let i = 0; i < acc.length; i++) acc[i] = Math.fround(acc[i] + x[i]);
  return acc;
}

function gatherRowsHost(rows: Float32Array, indices: ArrayLike<number>): Float32Array {
  const out = new Float32Array(4 * indices.length);
  for (let k = 0; k < indices.length; k++) out.set(rows.subarray(4 * indices[k], 4 * indices[k] + 4), 4 * k);
  return out;
}

/** Boxes.clip: x to [0, w], y to [0, h]. */
function clipRows(rows: Float32Array, [h, w]: readonly [number, number]): Float32Array {
  const out = new Float32Array(rows.length);
  for (let i = 0; i < rows.length; i += 4) {
    out[i] = Math.min(Math.max(rows[i], 0), w);
    out[i + 1] = Math.min(Math.max(rows[i + 1], 0), h);
    out[i + 2] = Math.min(Math.max(rows[i + 2], 0), w);
    out[i + 3] = Math.min(Math.max(rows[i + 3], 0), h);
  }
  return out;
}

/** Boxes.nonempty: keeps rows with w > 0 and h > 0. */
function dropEmptyRows(rows: Float32Array): Float32Array {
  const keep: number[] = [];
  for (let i = 0; i < rows.length / 4; i++) if (Math.fround(rows[4 * i + 2] - rows[4 * i]) > 0 && Math.fround(rows[4 * i + 3] - rows[4 * i + 1]) > 0) keep.push(i);
  return gatherRowsHost(rows, keep);
}
