/**
 * The training forward's loss dict against torchvision 0.14 (fixtures/rcnn/training.json, made
 * by tools/reference/rcnn.py): hash weights, the two detector images with one object per painted
 * rectangle (plus a tiny one), training-mode transform at a single min size, and the samplers fed
 * torch.randperm's recorded draws in torchvision's call order (RPN, then RoI heads; per image
 * positives then negatives). maskrcnn_resnet50_fpn trains a frozen-BN backbone (torchvision
 * built with FrozenBatchNorm2d and trainable_layers 3, as our preset). All losses to 1e-5 relative.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { detectorConfig } from './registry.js';
import { GeneralizedRcnn, type RcnnLosses } from './generalized-rcnn.js';
import { fillHashWeights } from '../testing/hash-weights.js';
import { readHeadsFixture } from '../testing/fixture-compare.js';
import { rcnnImage, type RcnnImageSpec } from '../testing/rcnn-images.js';
import type { DetectionTargets } from '../structures/instances.js';
import type { RandpermSource } from '../ops/balanced-sampler.js';

interface TrainingFixture {
  settings: { minSize: number; maxSize: number; numClasses: number };
  images: (RcnnImageSpec & { name: string })[];
  /** Whole-pixel boxes; each mask is its box's pixels (x2, y2 exclusive). */
  targets: { boxes: number[][]; labels: number[] }[];
  models: Record<string, { losses: Record<keyof RcnnLosses, number>; randperm: { n: number; prefix: number[] }[] }>;
}

const fx = readHeadsFixture<TrainingFixture>('rcnn/training.json');

/**
 * The recorded draws in call order; each permutation is its stored prefix (all the sampler
 * reads) completed by the remaining indices in order. Throws on a call the reference did not make.
 */
function recordedRandperm(draws: { n: number; prefix: number[] }[]): { source: RandpermSource; calls: () => number } {
  let k = 0;
  const source: RandpermSource = (n) => {
    const draw = draws[k];
    if (!draw || draw.n !== n) throw new Error(`recordedRandperm: call ${k} asks for randperm(${n}) but torchvision drew ${draw ? `randperm(${draw.n})` : 'nothing'}`);
    k++;
    const seen = new Uint8Array(n);
    const perm = new Int32Array(n);
    draw.prefix.forEach((p, i) => {
      perm[i] = p;
      seen[p] = 1;
    });
    let i = draw.prefix.length;
    for (let p = 0; p < n; p++) if (!seen[p]) perm[i++] = p;
    return Array.from(perm);
  };
  return { source, calls: () => k };
}

function targetsFor(spec: RcnnImageSpec, t: TrainingFixture['targets'][number]): DetectionTargets {
  const [, h, w] = spec.shape;
  const masks = new Float32Array(t.boxes.length * h * w);
  t.boxes.forEach(([x1, y1, x2, y2], i) => {
    for (let y = y1; y < y2; y++) masks.fill(1, (i * h + y) * w + x1, (i * h + y) * w + x2);
  });
  return { boxes: tf.tensor2d(t.boxes, [t.boxes.length, 4]), labels: tf.tensor1d(t.labels, 'int32'), masks: tf.tensor3d(masks, [t.boxes.length, h, w]) };
}

beforeAll(async () => {
  await initBackend({ backend: process.env.TFVISION_EQUIV_BACKEND ?? 'wasm', report: false });
});

describe.each(Object.keys(fx.models))('%s training losses equal torchvision\'s', (name) => {
  it('all five losses to 1e-5 relative, every recorded draw used, no leaks', () => {
    const ref = fx.models[name];
    const draws = recordedRandperm(ref.randperm);
    const { minSize, maxSize, numClasses } = fx.settings;
    const model = new GeneralizedRcnn(detectorConfig(name, { numClasses, transform: { minSize: [minSize], maxSize } }), { randperm: draws.source });
    fillHashWeights(model);
    model.train();
    const images = fx.images.map((spec) => rcnnImage(spec));
    const targets = fx.images.map((spec, i) => targetsFor(spec, fx.targets[i]));
    // FrozenBN folds its scale and shift into two tensors it keeps on the first training
    // forward: a one-off cache, filled here so the leak check below sees only per-call tensors.
    tf.dispose(Object.values(tf.tidy(() => model.backbone.forward(tf.zeros([1, 32, 32, 3])))));
    const before = tf.memory().numTensors;
    const losses = model.losses(images, targets);
    const got = Object.fromEntries(Object.entries(losses).map(([k, v]) => [k, (v as tf.Scalar).dataSync()[0]]));
    tf.dispose(Object.values(losses));
    const leaked = tf.memory().numTensors - before;
    expect(Object.keys(got).sort()).toEqual(Object.keys(ref.losses).sort());
    const errors = Object.fromEntries(Object.entries(ref.losses).map(([k, v]) => [k, Math.abs(got[k] - v) / Math.abs(v)]));
    console.log(`${name} training losses ${JSON.stringify(got)} relative errors ${JSON.stringify(errors)}`);
    for (const [k, e] of Object.entries(errors)) expect({ loss: k, ok: e <= 1e-5 }).toEqual({ loss: k, ok: true });
    expect(draws.calls()).toBe(ref.randperm.length);
    expect(leaked).toBe(0);
    tf.dispose([...images, ...targets.flatMap((t) => [t.boxes, t.labels, t.masks!])]);
    model.dispose();
  });
});
