/**
 * Options of the RegionProposalNetwork, with torchvision 0.14's Faster R-CNN defaults
 * (models/detection/faster_rcnn.py: rpn_* arguments and _default_anchorgen). Validation is
 * strict: an unknown key, or a value of the wrong kind, is a one-line error naming it.
 */
import type { RandpermSource } from '../ops/balanced-sampler.js';

/** One count for the training forward and one for inference (torchvision's dict of the two). */
export interface TrainTestCounts {
  training: number;
  testing: number;
}

export interface RegionProposalNetworkOptions {
  /** Channels of every feature level (the FPN's outChannels; default 256). */
  inChannels?: number;
  /** Anchor sizes per level (default [[32], [64], [128], [256], [512]]: one level per FPN output p2..p6). */
  anchorSizes?: readonly (readonly number[])[];
  /** Aspect ratios h/w, one list for every level or one per level (default [0.5, 1, 2]). */
  aspectRatios?: readonly (readonly number[])[] | readonly number[];
  /** 3x3 conv + ReLU layers of the head: 1 (v1) or 2 (v2). */
  convDepth?: number;
  /** Top-k per image and level before NMS (default 2000 training, 1000 testing). */
  preNmsTopN?: TrainTestCounts;
  /** Proposals kept per image after NMS (default 2000 training, 1000 testing). */
  postNmsTopN?: TrainTestCounts;
  /** IoU of the per-level NMS (default 0.7). */
  nmsThresh?: number;
  /** Anchors with IoU >= this with a GT box are positive (default 0.7). */
  fgIouThresh?: number;
  /** Anchors whose best IoU is below this are negative (default 0.3); in between is ignored. */
  bgIouThresh?: number;
  /** Anchors sampled per image for the losses (default 256). */
  batchSizePerImage?: number;
  /** Largest share of positives in a sample (default 0.5). */
  positiveFraction?: number;
  /** Proposals with objectness probability below this are dropped (default 0: none). */
  scoreThresh?: number;
  /** Proposals narrower or lower than this after clipping are dropped (default 1e-3). */
  minSize?: number;
  /** Seed of the sampler's permutations (default 0). */
  samplerSeed?: number;
  /** Replaces the sampler's permutations (tests feed torch.randperm draws to match torchvision's losses). */
  randperm?: RandpermSource;
}

export interface ResolvedRpnOptions {
  inChannels: number;
  anchorSizes: readonly (readonly number[])[];
  aspectRatios: readonly (readonly number[])[] | readonly number[];
  convDepth: number;
  preNmsTopN: TrainTestCounts;
  postNmsTopN: TrainTestCounts;
  nmsThresh: number;
  fgIouThresh: number;
  bgIouThresh: number;
  batchSizePerImage: number;
  positiveFraction: number;
  scoreThresh: number;
  minSize: number;
  samplerSeed: number;
  randperm?: RandpermSource;
}

const OP = 'RegionProposalNetwork';

export const RPN_DEFAULTS: Readonly<Omit<ResolvedRpnOptions, 'randperm'>> = Object.freeze({
  inChannels: 256,
  anchorSizes: [[32], [64], [128], [256], [512]],
  aspectRatios: [0.5, 1, 2],
  convDepth: 1,
  preNmsTopN: { training: 2000, testing: 1000 },
  postNmsTopN: { training: 2000, testing: 1000 },
  nmsThresh: 0.7,
  fgIouThresh: 0.7,
  bgIouThresh: 0.3,
  batchSizePerImage: 256,
  positiveFraction: 0.5,
  scoreThresh: 0.0,
  minSize: 1e-3,
  samplerSeed: 0,
});

const KNOWN_KEYS: readonly string[] = [...Object.keys(RPN_DEFAULTS), 'randperm'];

function positiveInteger(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${OP}: ${name} must be a positive integer, got ${String(v)}`);
  return v;
}

function finiteNumber(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${OP}: ${name} must be a finite number, got ${String(v)}`);
  return v;
}

function counts(name: string, v: unknown): TrainTestCounts {
  if (typeof v !== 'object' || v === null) throw new Error(`${OP}: ${name} must be { training, testing }, got ${String(v)}`);
  const extra = Object.keys(v).filter((k) => k !== 'training' && k !== 'testing');
  if (extra.length > 0) throw new Error(`${OP}: unknown key '${extra[0]}' in ${name} (expected training, testing)`);
  const c = v as Partial<TrainTestCounts>;
  return { training: positiveInteger(`${name}.training`, c.training), testing: positiveInteger(`${name}.testing`, c.testing) };
}

/** Fills defaults and checks every option (anchor lists are checked by AnchorGenerator). */
export function resolveRpnOptions(options: RegionProposalNetworkOptions = {}): ResolvedRpnOptions {
  for (const key of Object.keys(options)) {
    if (!KNOWN_KEYS.includes(key)) throw new Error(`${OP}: unknown option '${key}' (known: ${KNOWN_KEYS.join(', ')})`);
  }
  const o = { ...RPN_DEFAULTS, ...stripUndefined(options) };
  const thresholds = ['nmsThresh', 'fgIouThresh', 'bgIouThresh', 'positiveFraction', 'scoreThresh', 'minSize'] as const;
  for (const name of thresholds) finiteNumber(name, o[name]);
  if (o.bgIouThresh > o.fgIouThresh) throw new Error(`${OP}: bgIouThresh must be <= fgIouThresh, got ${o.bgIouThresh} > ${o.fgIouThresh}`);
  if (typeof o.samplerSeed !== 'number' || !Number.isInteger(o.samplerSeed)) throw new Error(`${OP}: samplerSeed must be an integer, got ${String(o.samplerSeed)}`);
  if (o.randperm !== undefined && typeof o.randperm !== 'function') throw new Error(`${OP}: randperm must be a function, got ${typeof o.randperm}`);
  if (!Number.isInteger(o.batchSizePerImage) || o.batchSizePerImage < 0) throw new Error(`${OP}: batchSizePerImage must be an integer >= 0, got ${o.batchSizePerImage}`);
  return {
    ...o,
    inChannels: positiveInteger('inChannels', o.inChannels),
    convDepth: positiveInteger('convDepth', o.convDepth),
    preNmsTopN: counts('preNmsTopN', o.preNmsTopN),
    postNmsTopN: counts('postNmsTopN', o.postNmsTopN),
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
