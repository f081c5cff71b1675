/**
 * Typed construction options of RoIHeads, with torchvision 0.14's defaults (faster_rcnn.py,
 * mask_rcnn.py): what each knob is for, and the checks that turn a wrong key or value into a
 * one-line error before anything is built.
 */
import { Module } from '@tfvision/nn';
import { BalancedPositiveNegativeSampler, type RandpermSource } from '../ops/balanced-sampler.js';
import { BoxCoder, type BoxCoderWeights } from '../ops/box-coder.js';
import { Matcher } from '../ops/matcher.js';
import { MultiScaleRoIAlign } from '../ops/multi-scale-roi-align.js';
import { ConvFcHead, TwoMlpHead, type BoxHead } from './box-head.js';
import { FastRcnnPredictor } from './box-predictor.js';
import { MaskRcnnHeads, MaskRcnnPredictor } from './mask-head.js';

/** A MultiScaleRoIAlign to build: which FPN levels, the bins per side, samples per bin side. */
export interface RoiPoolerSpec {
  /** Default p2..p5 (torchvision's '0'..'3'; the 'pool' level p6 is never pooled). */
  featmapNames?: readonly string[];
  /** Default 7 (box branch) / 14 (mask branch). */
  outputSize?: number;
  /** Default 2, as torchvision's R-CNN poolers. */
  samplingRatio?: number;
}

/** A box head to build over the pooled features of `inChannels` channels. */
export type BoxHeadSpec =
  | { type: 'twoMlp'; representationSize?: number }
  | { type: 'convFc'; convChannels?: number[]; representationSize?: number };

export interface MaskHeadSpec {
  /** Channels of the 3x3 convs; default four of 256. */
  layers?: number[];
  /** 'bn' is the v2 head (no conv bias, BatchNorm). Default 'none'. */
  norm?: 'none' | 'bn';
}

export interface MaskPredictorSpec {
  /** Channels of the transposed conv; default 256. */
  dimReduced?: number;
}

/** The mask branch of Mask R-CNN; each part is an instance or a spec (defaults: torchvision's). */
export interface MaskBranchOptions {
  roiPool?: MultiScaleRoIAlign | RoiPoolerSpec;
  head?: MaskRcnnHeads | MaskHeadSpec;
  predictor?: MaskRcnnPredictor | MaskPredictorSpec;
}

export interface RoIHeadsOptions {
  /** FPN channels: needed when a head is built from a spec. */
  inChannels?: number;
  /** Classes with the background (0): needed when a predictor is built here. */
  numClasses?: number;
  /** Default: 7x7 over p2..p5, sampling ratio 2. */
  boxRoiPool?: MultiScaleRoIAlign | RoiPoolerSpec;
  /** Default { type: 'twoMlp', representationSize: 1024 } (v1); v2 is convFc with BatchNorm. */
  boxHead?: BoxHead | BoxHeadSpec;
  /** Default FastRcnnPredictor(boxHead.representationSize, numClasses). */
  boxPredictor?: FastRcnnPredictor;
  /** A proposal with IoU >= this to its best ground truth is foreground (0.5). */
  fgIouThresh?: number;
  /** Below this it is background (0.5: no ignored band in the RoI heads). */
  bgIouThresh?: number;
  /** Sampled RoIs per image in training (512). */
  batchSizePerImage?: number;
  /** Largest share of positives among them (0.25). */
  positiveFraction?: number;
  /** BoxCoder weights of the regression targets (10, 10, 5, 5). */
  bboxRegWeights?: BoxCoderWeights;
  /** Detections need a score strictly above this (0.05). */
  scoreThresh?: number;
  /** IoU above which a lower-scored box of the same class is suppressed (0.5). */
  nmsThresh?: number;
  /** Detections kept per image after NMS (100). */
  detectionsPerImg?: number;
  /** Present: Mask R-CNN. */
  mask?: MaskBranchOptions;
  /** Seed of the sampler's permutations (0). */
  samplerSeed?: number;
  /** Replaces the sampler's permutations (tests inject torch.randperm draws). */
  randperm?: RandpermSource;
}

const OP = 'RoIHeads';
export const DEFAULT_FEATMAP_NAMES: readonly string[] = ['p2', 'p3', 'p4', 'p5'];

const TOP_KEYS = ['inChannels', 'numClasses', 'boxRoiPool', 'boxHead', 'boxPredictor', 'fgIouThresh', 'bgIouThresh', 'batchSizePerImage', 'positiveFraction', 'bboxRegWeights', 'scoreThresh', 'nmsThresh', 'detectionsPerImg', 'mask', 'samplerSeed', 'randperm'];
const POOLER_KEYS = ['featmapNames', 'outputSize', 'samplingRatio'];
const BOX_HEAD_KEYS = { twoMlp: ['type', 'representationSize'], convFc: ['type', 'convChannels', 'representationSize'] };
const MASK_KEYS = ['roiPool', 'head', 'predictor'];
const MASK_HEAD_KEYS = ['layers', 'norm'];
const MASK_PREDICTOR_KEYS = ['dimReduced'];

/** Throws on a key of `value` outside `allowed`, naming its path. */
export function checkKeys(path: string, value: object, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new Error(`${OP}: unknown option ${path}${key} (known: ${allowed.join(', ')})`);
  }
}

function checkPositiveInteger(name: string, v: number | undefined): void {
  if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new Error(`${OP}: ${name} must be a positive integer, got ${v}`);
}

function checkFraction(name: string, v: number): void {
  if (!(typeof v === 'number' && v >= 0 && v <= 1)) throw new Error(`${OP}: ${name} must be in [0, 1], got ${v}`);
}

export interface ResolvedRoIHeadsOptions {
  boxRoiPool: MultiScaleRoIAlign;
  boxHead: BoxHead;
  boxPredictor: FastRcnnPredictor;
  mask?: { roiPool: MultiScaleRoIAlign; head: MaskRcnnHeads; predictor: MaskRcnnPredictor };
  boxCoder: BoxCoder;
  proposalMatcher: Matcher;
  fgBgSampler: BalancedPositiveNegativeSampler;
  scoreThresh: number;
  nmsThresh: number;
  detectionsPerImg: number;
}

/** Checks the options and builds the parts given as specs. */
export function resolveRoIHeadsOptions(o: RoIHeadsOptions): ResolvedRoIHeadsOptions {
  checkKeys('', o, TOP_KEYS);
  checkPositiveInteger('inChannels', o.inChannels);
  if (o.numClasses !== undefined && !(Number.isInteger(o.numClasses) && o.numClasses >= 2)) {
    throw new Error(`${OP}: numClasses must count the background and one class at least, got ${o.numClasses}`);
  }
  const fgIouThresh = o.fgIouThresh ?? 0.5;
  const bgIouThresh = o.bgIouThresh ?? 0.5;
  checkFraction('fgIouThresh', fgIouThresh);
  checkFraction('bgIouThresh', bgIouThresh);
  if (bgIouThresh > fgIouThresh) throw new Error(`${OP}: bgIouThresh must be <= fgIouThresh, got ${bgIouThresh} > ${fgIouThresh}`);
  const batchSizePerImage = o.batchSizePerImage ?? 512;
  checkPositiveInteger('batchSizePerImage', batchSizePerImage);
  const positiveFraction = o.positiveFraction ?? 0.25;
  checkFraction('positiveFraction', positiveFraction);
  const scoreThresh = o.scoreThresh ?? 0.05;
  if (!Number.isFinite(scoreThresh)) throw new Error(`${OP}: scoreThresh must be a finite number, got ${scoreThresh}`);
  const nmsThresh = o.nmsThresh ?? 0.5;
  checkFraction('nmsThresh', nmsThresh);
  const detectionsPerImg = o.detectionsPerImg ?? 100;
  checkPositiveInteger('detectionsPerImg', detectionsPerImg);
  const samplerSeed = o.samplerSeed ?? 0;
  if (!Number.isInteger(samplerSeed)) throw new Error(`${OP}: samplerSeed must be an integer, got ${samplerSeed}`);
  if (o.randperm !== undefined && typeof o.randperm !== 'function') throw new Error(`${OP}: randperm must be a function (n) => permutation, got ${typeof o.randperm}`);
  const boxCoder = new BoxCoder(o.bboxRegWeights ?? [10, 10, 5, 5]);
  const proposalMatcher = new Matcher(fgIouThresh, bgIouThresh, false);
  const fgBgSampler = new BalancedPositiveNegativeSampler(batchSizePerImage, positiveFraction, { seed: samplerSeed, randperm: o.randperm });

  // Parts built here (not the caller's instances) are freed again if a later check fails.
  const built: Module[] = [];
  const track = <M extends Module>(m: M, given: unknown): M => {
    if (m !== given) built.push(m);
    return m;
  };
  try {
    const boxRoiPool = buildPooler('boxRoiPool', o.boxRoiPool, 7);
    const boxHead = track(buildBoxHead(o.boxHead, o.inChannels, boxRoiPool.outputSize[0]), o.boxHead);
    const boxPredictor = track(buildBoxPredictor(o.boxPredictor, boxHead.representationSize, o.numClasses), o.boxPredictor);
    const mask = o.mask === undefined ? undefined : buildMaskBranch(o.mask, o.inChannels, boxPredictor.numClasses, track);
    return { boxRoiPool, boxHead, boxPredictor, mask, boxCoder, proposalMatcher, fgBgSampler, scoreThresh, nmsThresh, detectionsPerImg };
  } catch (err) {
    for (const m of built) m.dispose();
    throw err;
  }
}

function buildPooler(name: string, value: MultiScaleRoIAlign | RoiPoolerSpec | undefined, outputSize: number): MultiScaleRoIAlign {
  if (value instanceof MultiScaleRoIAlign) return value;
  const spec = value ?? {};
  checkKeys(`${name}.`, spec, POOLER_KEYS);
  return new MultiScaleRoIAlign({ featmapNames: spec.featmapNames ?? DEFAULT_FEATMAP_NAMES, outputSize: spec.outputSize ?? outputSize, samplingRatio: spec.samplingRatio ?? 2 });
}

function needInChannels(part: string, inChannels: number | undefined): number {
  if (inChannels === undefined) throw new Error(`${OP}: inChannels is needed to build ${part} from a spec`);
  return inChannels;
}

function buildBoxHead(value: BoxHead | BoxHeadSpec | undefined, inChannels: number | undefined, resolution: number): BoxHead {
  if (value instanceof Module) return value;
  const spec: BoxHeadSpec = value ?? { type: 'twoMlp' };
  if (spec.type !== 'twoMlp' && spec.type !== 'convFc') throw new Error(`${OP}: boxHead.type must be 'twoMlp' or 'convFc', got ${JSON.stringify((spec as { type: unknown }).type)}`);
  checkKeys('boxHead.', spec, BOX_HEAD_KEYS[spec.type]);
  checkPositiveInteger('boxHead.representationSize', spec.representationSize);
  const c = needInChannels('boxHead', inChannels);
  if (spec.type === 'twoMlp') return new TwoMlpHead({ inChannels: c, resolution, representationSize: spec.representationSize });
  return new ConvFcHead({ inChannels: c, resolution, convChannels: spec.convChannels, representationSize: spec.representationSize });
}

function buildBoxPredictor(value: FastRcnnPredictor | undefined, inFeatures: number, numClasses: number | undefined): FastRcnnPredictor {
  if (value !== undefined && !(value instanceof FastRcnnPredictor)) throw new Error(`${OP}: boxPredictor must be a FastRcnnPredictor, got ${typeof value}`);
  if (value === undefined) {
    if (numClasses === undefined) throw new Error(`${OP}: numClasses is needed to build boxPredictor`);
    return new FastRcnnPredictor({ inFeatures, numClasses });
  }
  if (value.classAgnostic) throw new Error(`${OP}: boxPredictor must predict one box per class (classAgnostic is for cascade stages), got classAgnostic true`);
  if (value.clsScore.inFeatures !== inFeatures) throw new Error(`${OP}: boxPredictor takes ${value.clsScore.inFeatures} features but boxHead gives ${inFeatures}`);
  if (numClasses !== undefined && value.numClasses !== numClasses) throw new Error(`${OP}: boxPredictor has ${value.numClasses} classes but numClasses is ${numClasses}`);
  return value;
}

function buildMaskBranch(o: MaskBranchOptions, inChannels: number | undefined, numClasses: number, track: <M extends Module>(m: M, given: unknown) => M): ResolvedRoIHeadsOptions['mask'] {
  checkKeys('mask.', o, MASK_KEYS);
  const roiPool = buildPooler('mask.roiPool', o.roiPool, 14);
  let head: MaskRcnnHeads;
  if (o.head instanceof MaskRcnnHeads) head = o.head;
  else {
    const spec = o.head ?? {};
    checkKeys('mask.head.', spec, MASK_HEAD_KEYS);
    head = track(new MaskRcnnHeads({ inChannels: needInChannels('mask.head', inChannels), layers: spec.layers, norm: spec.norm }), undefined);
  }
  let predictor: MaskRcnnPredictor;
  if (o.predictor instanceof MaskRcnnPredictor) predictor = o.predictor;
  else {
    const spec = o.predictor ?? {};
    checkKeys('mask.predictor.', spec, MASK_PREDICTOR_KEYS);
    checkPositiveInteger('mask.predictor.dimReduced', spec.dimReduced);
    predictor = track(new MaskRcnnPredictor({ inChannels: head.outChannels, dimReduced: spec.dimReduced, numClasses }), undefined);
  }
  if (predictor.conv5Mask.inChannels !== head.outChannels) throw new Error(`${OP}: mask.predictor takes ${predictor.conv5Mask.inChannels} channels but mask.head gives ${head.outChannels}`);
  if (predictor.maskFcnLogits.outChannels !== numClasses) throw new Error(`${OP}: mask.predictor has ${predictor.maskFcnLogits.outChannels} classes but boxPredictor has ${numClasses}`);
  return { roiPool, head, predictor };
}
