/**
 * Stage one of the demo: a zoo backbone trained as a classifier on object crops cut from the
 * detection training set (crops.ts), the usual "pretrain the backbone, then fine-tune the
 * detector" order (torchvision and detectron2 start their detectors from ImageNet classifiers).
 * SGD with momentum, a linear warmup over the first tenth of the steps (from random weights
 * the full rate at once makes the loss jump), a seeded shuffle per epoch, random horizontal
 * flips and a step decay at three quarters of the steps.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createBackbone, type Backbone } from '@tfvision/backbones';
import { SeededRandom } from '@tfvision/coco';
import { crossEntropy, setInitSeed } from '@tfvision/nn';
import { topKAccuracy } from '@tfvision/eval';
import type { CropSet } from './crops.js';

export interface CropPretrainOptions {
  backbone: string;
  steps: number;
  batchSize: number;
  lr: number;
  seed: number;
  log: (line: string) => void;
  /** Log every N steps (and the last). */
  logEvery: number;
}

export interface CropPretrainResult {
  model: Backbone;
  losses: number[];
  heldOutTop1: number;
}

/** Shuffled crop indices, a fresh permutation each time the previous one is used up. */
function* shuffledIndices(count: number, rng: SeededRandom): Generator<number> {
  const order = Array.from({ length: count }, (_, i) => i);
  for (;;) {
    for (let i = count - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [order[i], order[j]] = [order[j], order[i]];
    }
    yield* order;
  }
}

/** Copies crop `j` into `out` at slot `i`, mirrored left-right when `flip`. */
function putCrop(crops: CropSet, j: number, out: Float32Array, i: number, flip: boolean): void {
  const s = crops.size;
  const pix = s * s * 3;
  const src = crops.pixels.subarray(j * pix, (j + 1) * pix);
  if (!flip) {
    out.set(src, i * pix);
    return;
  }
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      const from = (y * s + x) * 3;
      const to = i * pix + (y * s + (s - 1 - x)) * 3;
      out[to] = src[from];
      out[to + 1] = src[from + 1];
      out[to + 2] = src[from + 2];
    }
  }
}

export function heldOutTop1(model: Backbone, crops: CropSet): number {
  if (crops.count === 0) return 0;
  model.eval();
  const pix = crops.size * crops.size * 3;
  const scores = new Float32Array(crops.count * crops.classNames.length);
  const chunk = 64;
  for (let start = 0; start < crops.count; start += chunk) {
    const n = Math.min(chunk, crops.count - start);
    const logits = tf.tidy(() => model.forward(tf.tensor4d(crops.pixels.subarray(start * pix, (start + n) * pix), [n, crops.size, crops.size, 3])));
    scores.set(logits.dataSync(), start * crops.classNames.length);
    logits.dispose();
  }
  model.train();
  return topKAccuracy(scores, crops.labels, crops.classNames.length, 1);
}

export async function pretrainOnCrops(train: CropSet, heldOut: CropSet, o: CropPretrainOptions): Promise<CropPretrainResult> {
  if (train.count === 0) throw new Error('pretrainOnCrops: the training set has no object crop');
  setInitSeed(o.seed + 1);
  const model = createBackbone(o.backbone, { numClasses: train.classNames.length });
  const rng = new SeededRandom(o.seed + 2);
  const order = shuffledIndices(train.count, rng);
  const pix = train.size * train.size * 3;
  const losses: number[] = [];
  const warmup = Math.max(1, Math.floor(o.steps / 10));
  const decayAt = Math.floor(o.steps * 0.75);
  const lrAt = (step: number) => (step >= decayAt ? 0.1 : 1) * o.lr * Math.min(1, (step + 1) / warmup);
  const optimizer = tf.train.momentum(lrAt(0), 0.9);
  const started = Date.now();
  model.train();
  try {
    for (let step = 0; step < o.steps; step++) {
      optimizer.setLearningRate(lrAt(step));
      const xb = new Float32Array(o.batchSize * pix);
      const yb = new Int32Array(o.batchSize);
      for (let i = 0; i < o.batchSize; i++) {
        const j = order.next().value as number;
        putCrop(train, j, xb, i, rng.next() < 0.5);
        yb[i] = train.labels[j];
      }
      const loss = tf.tidy(() => {
        const x = tf.tensor4d(xb, [o.batchSize, train.size, train.size, 3]);
        return optimizer.minimize(() => crossEntropy(model.forward(x) as tf.Tensor2D, yb), true, model.trainableParameters()) as tf.Scalar;
      });
      const value = (await loss.data())[0];
      loss.dispose();
      losses.push(value);
      if ((step + 1) % o.logEvery === 0 || step + 1 === o.steps) {
        const rate = ((step + 1) * o.batchSize) / ((Date.now() - started) / 1000);
        o.log(`pretrain step ${String(step + 1).padStart(4)}/${o.steps}  loss ${value.toFixed(4)}  ${rate.toFixed(1)} crops/s`);
      }
    }
  } finally {
    optimizer.dispose();
  }
  return { model, losses, heldOutTop1: heldOutTop1(model, heldOut) };
}
