#!/usr/bin/env node
// Issue #17's figure: one Mask R-CNN training step, ours against torchvision CPU on the same
// machine, thread count, weights and batch, in the same run. Ours is DetectionTrainer.trainStep
// of @tfvision/train (GeneralizedRcnn.losses, their sum, tf.variableGrads over the trainable
// parameters, SGD with momentum and detectron2's weight-decay groups), called directly with the
// batch (no loader, no logging, no checkpoints); torchvision's is tools/bench/torch_det_train.py
// (model.train() loss dict, sum, backward, SGD step). Both hold the hash weights
// (packages/heads/src/testing/hash-weights.ts) under the same names and train the same
// parameters (ours tell torch which) on the same bytes: packages/heads/src/bench/train-batch.ts
// (formula images as uint8, their rectangles as boxes, labels and bit masks).
// This file is plain JS in tools/ because it needs @tfvision/train, which depends on
// @tfvision/heads: a heads bench could not import it without a build cycle.
// One JSON line per case and backend: images/s from the median of --steps timed steps after
// --warmup untimed ones, the losses, torchvision's figures and ratio = ours / torchvision
// images/s (issue #17's target >= 0.33).
// Run (after npm run build): node tools/bench/det-train.js [--cases name@HxW[+checkpointing],...]
//   [--batch 2] [--steps 3] [--warmup 1] [--backends wasm] [--no-torch] [--grad-checkpointing]
// "+checkpointing" (or --grad-checkpointing for every case) checkpoints our backbone's blocks:
// at 800x1088 batch 2 the step needs it to fit the 4 GB wasm32 heap. torchvision never needs it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { GeneralizedRcnn, detectorConfig } from '@tfvision/heads';
import { wantedWasmThreads } from '@tfvision/nn';
import { DetectionTrainer, StepRandperm } from '@tfvision/train';

const here = path.dirname(fileURLToPath(import.meta.url));
const headsDist = path.join(here, '..', '..', 'packages', 'heads', 'dist');
const load = (rel) => import(pathToFileURL(path.join(headsDist, rel)).href);
const common = await load('bench/bench-common.js');
const { trainBatchSpecs, trainImage } = await load('bench/train-batch.js');
const { fillHashWeights } = await load('testing/hash-weights.js');

const REFERENCE_SCRIPT = path.join(here, 'torch_det_train.py');
// Issue #17: a small model at 256 and the paper-size model at batch 2, 800x1088; the small one first
// so its wasm-heap figure is its own (the heap only grows).
const DEFAULT_CASES = ['maskrcnn_resnest14d_fpn@256x256', 'maskrcnn_resnest50d_fpn@800x1088+checkpointing'];
// lr 0.02 per 16 images (the recipes') scaled by 1/10: hash weights give large losses, and a
// diverging step (non-finite loss) is skipped by trainStep, which would time less work.
const LR_PER_16 = 0.002;
const MOMENTUM = 0.9;
const WEIGHT_DECAY = 1e-4;
const SEED = 0;

function parseCase(text, allCheckpointed) {
  const m = /^([a-z0-9_]+)@(\d+)x(\d+)(\+checkpointing)?$/.exec(text);
  if (!m) throw new Error(`det-train: --cases entries must be name@HxW or name@HxW+checkpointing, got ${text}`);
  const body = /^maskrcnn_(.+)_fpn$/.exec(m[1]);
  if (!body) throw new Error(`det-train: only Mask R-CNN presets maskrcnn_<backbone>_fpn are benched, got ${m[1]}`);
  return { label: `${m[1]}@${m[2]}x${m[3]}`, model: m[1], body: body[1], height: Number(m[2]), width: Number(m[3]), gradCheckpointing: allCheckpointed || m[4] !== undefined };
}

/** The wasm heap's size in MiB: its high-water mark, since wasm memory never shrinks. */
function wasmHeapMiB() {
  const heap = tf.backend().wasm?.HEAPU8;
  return heap ? Math.round(heap.length / 2 ** 20) : undefined;
}

/** The batch as @tfvision/coco DetectionSamples (what trainStep takes from the loader). */
function samplesOf(images) {
  return images.map((im, k) => ({
    imageId: k + 1,
    fileName: `${im.name}.png`,
    image: { data: im.pixels, width: im.width, height: im.height, channels: 3 },
    originalSize: [im.height, im.width],
    contentSize: [im.height, im.width],
    boxes: im.boxes,
    labels: im.labels,
    areas: Float32Array.from(im.masks.map((m) => m.reduce((a, b) => a + b, 0))),
    annotationIds: Array.from(im.labels, (_, i) => i + 1),
    masks: im.masks,
    crowdBoxes: new Float32Array(0),
  }));
}

function buildOurs(c, batch, gradCheckpointing) {
  const randperm = new StepRandperm(SEED);
  const config = detectorConfig(c.model, {
    transform: { minSize: [Math.min(c.height, c.width)], maxSize: 1333 },
    ...(gradCheckpointing ? { backbone: { options: { norm: 'frozen_bn', frozenStages: 1, gradCheckpointing: true } } } : {}),
  });
  const model = new GeneralizedRcnn(config, { randperm: randperm.source });
  fillHashWeights(model);
  model.train();
  const trainer = new DetectionTrainer({
    model,
    randperm,
    // trainStep reads only the batch size (the linear lr scaling) from the loader.
    loader: { batchSize: batch },
    labels: undefined,
    totalSteps: 1e9,
    lr: { lrPer16: LR_PER_16, warmupIters: 0, warmupFactor: 1, milestones: [], gamma: 0.1 },
    momentum: MOMENTUM,
    decay: { weightDecay: WEIGHT_DECAY },
    outDir: tmpdir(),
    configHash: 'bench',
    seed: SEED,
    checkpointEverySteps: 1e9,
  });
  return { model, trainer };
}

async function timeOurs(trainer, samples, warmup, steps) {
  const times = [];
  const totals = [];
  let firstLosses;
  let before = 0;
  for (let i = 0; i < warmup + steps; i++) {
    if (i === warmup) before = tf.memory().numTensors;
    const t0 = performance.now();
    const { losses, total } = trainer.trainStep(i, samples);
    const ms = performance.now() - t0;
    firstLosses ??= losses;
    totals.push(total);
    if (i >= warmup) times.push(ms);
    process.stderr.write(`tfvision step ${i}: ${(ms / 1000).toFixed(2)} s, loss ${total.toFixed(4)}\n`);
  }
  return { times, totals, firstLosses, leakedTensors: tf.memory().numTensors - before };
}

async function main() {
  const argv = process.argv;
  const gradCheckpointing = argv.includes('--grad-checkpointing');
  const cases = common.listOption(argv, 'cases', DEFAULT_CASES).map((c) => parseCase(c, gradCheckpointing));
  const batch = common.positiveIntOption(argv, 'batch', 2, 'det-train');
  const steps = common.positiveIntOption(argv, 'steps', 3, 'det-train');
  const warmupRaw = Number(common.option(argv, 'warmup', '1'));
  if (!Number.isInteger(warmupRaw) || warmupRaw < 0) throw new Error(`det-train: --warmup must be a non-negative integer, got ${warmupRaw}`);
  const noTorch = argv.includes('--no-torch');
  const threads = wantedWasmThreads();
  await common.forEachBackend('det-train', common.listOption(argv, 'backends', ['wasm']), async (choice) => {
    for (const c of cases) {
      const images = trainBatchSpecs(c.height, c.width, batch).map(trainImage);
      const { model, trainer } = buildOurs(c, batch, c.gradCheckpointing);
      const dir = mkdtempSync(path.join(tmpdir(), 'tfvision-det-train-'));
      let theirs;
      try {
        if (noTorch) theirs = 'skipped: --no-torch';
        else {
          const files = images.map((im, k) => {
            const pixels = path.join(dir, `pixels${k}.bin`);
            const masks = path.join(dir, `masks${k}.bin`);
            writeFileSync(pixels, im.pixels);
            writeFileSync(masks, Buffer.concat(im.masks.map((m) => Buffer.from(m.buffer, m.byteOffset, m.byteLength))));
            return { pixels, masks, height: im.height, width: im.width, boxes: Array.from(im.boxes), labels: Array.from(im.labels) };
          });
          const spec = {
            name: c.label,
            model: c.model,
            body: c.body,
            minSize: Math.min(c.height, c.width),
            maxSize: 1333,
            images: files,
            trainable: trainer.optimizer.params.map((p) => [p.name, p.weightDecay]),
            lr: (LR_PER_16 * batch) / 16,
            momentum: MOMENTUM,
            warmup: warmupRaw,
            steps,
            threads,
            seed: SEED,
          };
          // torchvision runs just before ours, case by case, so both see about the same load.
          theirs = common.referenceFor(common.runReference({ script: REFERENCE_SCRIPT, spec, probe: 'import torch, torchvision' }), c.label, 'torch_det_train.py');
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      const loadBefore = loadavg()[0];
      let ours;
      try {
        ours = await timeOurs(trainer, samplesOf(images), warmupRaw, steps);
      } catch (err) {
        console.log(JSON.stringify({ bench: 'det-train', name: c.label, ...common.backendFields(choice), error: String(err.message).split('\n')[0], torchvision: theirs, ...common.machineFields(loadBefore) }));
        trainer.dispose();
        model.dispose();
        continue;
      }
      trainer.dispose();
      model.dispose();
      const medianMs = common.median(ours.times);
      const oursIps = (batch * 1000) / medianMs;
      console.log(
        JSON.stringify({
          bench: 'det-train',
          name: c.label,
          model: c.model,
          ...common.backendFields(choice),
          image: [c.height, c.width],
          batch,
          threads,
          warmup: warmupRaw,
          steps,
          lr: (LR_PER_16 * batch) / 16,
          gradCheckpointing: c.gradCheckpointing,
          wasmHeapMiB: wasmHeapMiB(),
          trainedParameters: trainer.optimizer.params.length,
          imagesPerSecond: common.round3(oursIps),
          medianMs: common.round1(medianMs),
          minMs: common.round1(Math.min(...ours.times)),
          firstLosses: ours.firstLosses,
          totals: ours.totals,
          leakedTensors: ours.leakedTensors,
          torchvision: theirs,
          // ours / torchvision images per second: the target is >= 0.33.
          ratio: common.rateRatio(oursIps, theirs),
          ...common.machineFields(loadBefore),
        }),
      );
    }
  });
}

main().catch((err) => {
  console.error(`det-train: ${err.message}`);
  process.exit(1);
});
