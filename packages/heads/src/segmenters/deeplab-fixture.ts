/**
 * The DeepLab reference fixtures (tools/reference/deeplab.py) and the comparison the
 * equivalence tests make: a model built from the fixture's case, filled with hash weights under
 * its own (= the reference's) names, run in eval mode on the generator's inputs, and each head's
 * logits compared at the sampled positions, plus their sum and sum of squares.
 */
import * as tf from '@tensorflow/tfjs-core';
import { torchShapeOf } from '@tfvision/nn';
import { fillHashWeights } from '../testing/hash-weights.js';
import { hashInput } from '../testing/fixture-compare.js';
import { DeepLabV3Plus } from './deeplabv3plus.js';
import { createSegmenter } from './registry.js';
import type { Segmenter } from './segmenter.js';

export interface LogitSummary {
  shape: number[];
  sum: number;
  sumsq: number;
  absmax: number;
  positions: number[];
  values: number[];
  /** Every value (only with the generator's --full). */
  all?: number[];
}

export interface DeeplabCase {
  input: [number, number, number];
  stageRms: Record<string, number>;
  stageShapes: Record<string, number[]>;
  outLow: LogitSummary;
  out: LogitSummary;
  auxLow?: LogitSummary;
  aux?: LogitSummary;
  decoder?: LogitSummary;
}

export interface DeeplabFixture {
  model: string;
  reference: string;
  numClasses: number;
  stateDictKeys: { name: string; shape: number[] }[];
  cases: DeeplabCase[];
}

/** The generator's case names are the presets'; the default tests run the small ones. */
export const DEFAULT_CASES = ['deeplabv3_resnet50', 'deeplabv3plus_resnet50', 'deeplabv3plus_resnest14d'] as const;
export const LARGE_CASES = ['deeplabv3_resnet101', 'deeplabv3_resnest50d', 'deeplabv3plus_resnest50d'] as const;
export const DEEPLAB_CASES = [...DEFAULT_CASES, ...LARGE_CASES] as const;

/** The preset of a fixture, with hash weights, in eval mode. */
export function buildHashFilled(fixture: DeeplabFixture): Segmenter {
  // Hash weights replace every value; zeroInitLastBn false also skips the zoo ResNet's zero-init,
  // which leaves one tensor per block undisposed (packages/backbones/src/resnet.ts).
  const model = createSegmenter(fixture.model, { numClasses: fixture.numClasses, backboneOptions: { zeroInitLastBn: false } });
  fillHashWeights(model);
  return model.eval();
}

/** Our state dict as the fixture lists it: names and PyTorch shapes, sorted. */
export function stateDictShapes(model: Segmenter): { name: string; shape: number[] }[] {
  return [...model.stateDict()].map(([name, v]) => ({ name, shape: torchShapeOf(v.shape) })).sort((a, b) => a.name.localeCompare(b.name));
}

export interface HeadError {
  head: string;
  /** max |ours - ref| / max |ref| at the sampled (or all) positions. */
  relative: number;
  /** Relative difference of the sums of squares. */
  sumsq: number;
}

function compare(head: string, got: tf.Tensor4D, ref: LogitSummary): HeadError {
  if (got.shape.join() !== ref.shape.join()) throw new Error(`${head}: shape [${got.shape}] against the reference's [${ref.shape}]`);
  const g = got.dataSync();
  const positions = ref.all ? ref.all.map((_, i) => i) : ref.positions;
  const values = ref.all ?? ref.values;
  let worst = 0;
  positions.forEach((p, i) => (worst = Math.max(worst, Math.abs(g[p] - values[i]))));
  let sumsq = 0;
  for (let i = 0; i < g.length; i++) sumsq += g[i] * g[i];
  return { head, relative: worst / ref.absmax, sumsq: Math.abs(sumsq - ref.sumsq) / ref.sumsq };
}

/** Runs every case of the fixture; one entry per compared head and input size. */
export function compareWithFixture(model: Segmenter, fixture: DeeplabFixture): HeadError[] {
  const errors: HeadError[] = [];
  for (const c of fixture.cases) {
    const [n, h, w] = c.input;
    const tag = `${n}x${h}x${w}`;
    const x = hashInput(tag, [n, 3, h, w]) as tf.Tensor4D;
    const low = model.forwardLowRes(x);
    const out = model.forward(x);
    errors.push(compare(`${tag} outLow`, low.out, c.outLow), compare(`${tag} out`, out.out, c.out));
    if (c.auxLow && c.aux) {
      if (!low.aux || !out.aux) throw new Error(`${fixture.model}: the reference has an aux head and ours does not`);
      errors.push(compare(`${tag} auxLow`, low.aux, c.auxLow), compare(`${tag} aux`, out.aux, c.aux));
    }
    if (c.decoder && model instanceof DeepLabV3Plus) {
      const d = model.forwardDecoder(x);
      errors.push(compare(`${tag} decoder`, d, c.decoder));
      d.dispose();
    }
    tf.dispose([x, low, out]);
  }
  return errors;
}

/**
 * Builds the fixture's preset with hash weights, checks its names and shapes, compares every head
 * of every case and checks that a later forward leaves no tensors behind (the first one caches
 * BatchNorm-folded weights). Returns the worst errors; throws on a name, shape or leak mismatch.
 */
export function checkAgainstFixture(fixture: DeeplabFixture): { relative: number; sumsq: number; errors: HeadError[] } {
  const model = buildHashFilled(fixture);
  try {
    const ours = stateDictShapes(model);
    const theirs = [...fixture.stateDictKeys].sort((a, b) => a.name.localeCompare(b.name));
    const key = (k: { name: string; shape: number[] }) => `${k.name} [${k.shape}]`;
    const missing = theirs.map(key).filter((k) => !ours.map(key).includes(k));
    const extra = ours.map(key).filter((k) => !theirs.map(key).includes(k));
    if (missing.length || extra.length) throw new Error(`${fixture.model}: state dict differs from the reference's: missing ${missing.slice(0, 5).join(', ') || 'none'}; unexpected ${extra.slice(0, 5).join(', ') || 'none'}`);
    const errors = compareWithFixture(model, fixture);
    const heads = fixture.model.startsWith('deeplabv3plus') ? 3 : 4;
    if (errors.length !== fixture.cases.length * heads) throw new Error(`${fixture.model}: compared ${errors.length} heads, expected ${fixture.cases.length * heads}`);
    const [n, h, w] = fixture.cases[1].input;
    const x = tf.zeros([n, h, w, 3]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    tf.dispose(model.forward(x));
    const leaked = tf.memory().numTensors - before;
    x.dispose();
    if (leaked !== 0) throw new Error(`${fixture.model}: forward leaked ${leaked} tensors`);
    return { relative: Math.max(...errors.map((e) => e.relative)), sumsq: Math.max(...errors.map((e) => e.sumsq)), errors };
  } finally {
    model.dispose();
  }
}
