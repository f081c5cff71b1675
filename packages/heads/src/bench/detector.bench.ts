/**
 * Whole-detector inference at 800x1088, batch 1 (issue #14): fasterrcnn_resnet50_fpn and
 * maskrcnn_resnest50d_fpn against torchvision 0.14 CPU (tools/bench_detector.py, /usr/bin/python3,
 * same thread count) in the same run, on the same image and the same weights.
 * Weights: the hash rule of src/testing/hash-weights.ts under the models' own names, which are
 * torchvision's (and timm's under backbone.body), so both sides hold identical weights and
 * should give the same proposals and detections, hence the same NMS and mask-head work.
 * Settings on both sides: torchvision's test defaults (1000 proposals per image before and after
 * the RPN's NMS, NMS 0.5, 100 detections) except box_score_thresh 0, because hash weights score
 * below the default 0.05 and the mask head would then see no detections.
 * Image: bench-image.ts's 800x1088 formula image (GeneralizedRCNNTransform keeps it at scale 1,
 * no padding). Options, the reference run and the record's machine fields: bench-common.ts.
 * Per model and backend, one JSON line: images/s from the median of --repeats predict() calls after
 * one warm-up (each followed by one staged call), the median wall ms of each stage (detector-stages.ts), a tf.profile summary of one
 * call (kernel count, kernel ms, top kernels), torchvision's same figures and ratio = ours /
 * torchvision images/s (>= 0.5 is the issue's target; >= 1 means ours is at least as fast).
 * Run: npx tsc -p packages/heads/tsconfig.build.json && node packages/heads/dist/bench/detector.bench.js
 *   (options: --models a,b --repeats N --backends wasm --no-torch --top N)
 */
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { wantedWasmThreads } from '@tfvision/nn';
import { createDetector } from '../detectors/registry.js';
import type { GeneralizedRcnn } from '../detectors/generalized-rcnn.js';
import { disposeInstances, type Detections } from '../structures/instances.js';
import { fillHashWeights } from '../testing/hash-weights.js';
import { rcnnImage } from '../testing/rcnn-images.js';
import { backendFields, forEachBackend, listOption, machineFields, median, positiveIntOption, rateRatio, referenceFor, round1, round3, runReference, type ReferenceRow } from './bench-common.js';
import { DETECTOR_BENCH_IMAGE } from './bench-image.js';
import { STAGES, detectByStage, settle, summariseKernels, type KernelSummary, type StageTimes } from './detector-stages.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REFERENCE_SCRIPT = join(HERE, '..', '..', 'tools', 'bench_detector.py');
const DEFAULT_MODELS = ['fasterrcnn_resnet50_fpn', 'maskrcnn_resnest50d_fpn'];
/** The settings both sides run with (torchvision's test defaults but the score threshold). */
const SETTINGS = { scoreThresh: 0, rpnPreNmsTopN: 1000, rpnPostNmsTopN: 1000, nmsThresh: 0.5, detectionsPerImg: 100 };
const IMAGE = DETECTOR_BENCH_IMAGE;

interface Reference extends ReferenceRow {
  imagesPerSecond: number;
  medianMs: number;
  stages: Record<string, number>;
  proposals: number;
  detections: number;
  profile: { ops: number; topOps: { name: string; count: number; ms: number }[] };
  backbone: string;
  torch: string;
  torchvision: string;
  threads: number;
}

function torchvisionFigures(models: readonly string[], repeats: number, threads: number, top: number): Map<string, Reference> | string {
  return runReference<Reference>({ script: REFERENCE_SCRIPT, spec: { models, image: IMAGE, settings: SETTINGS, repeats, threads, top }, probe: 'import torch, torchvision' });
}

function disposeAll(dets: readonly Detections[]): void {
  for (const d of dets) disposeInstances(d);
}

/** Same labels and scores within 1e-4: the staged mirror did what predict() does. */
function sameDetections(a: readonly Detections[], b: readonly Detections[]): boolean {
  return a.every((d, i) => {
    const [sa, sb] = [d.scores.dataSync(), b[i].scores.dataSync()];
    const [la, lb] = [d.labels.dataSync(), b[i].labels.dataSync()];
    return sa.length === sb.length && sa.every((s, k) => Math.abs(s - sb[k]) <= 1e-4 && la[k] === lb[k]);
  });
}

interface Ours {
  medianMs: number;
  minMs: number;
  stages: StageTimes;
  proposals: number;
  detections: number;
  stagedMatchesDetect: boolean;
  profile: KernelSummary & { wallMs: number };
  leakedTensors: number;
}

async function timeOurs(model: GeneralizedRcnn, image: tf.Tensor3D, repeats: number, top: number): Promise<Ours> {
  const detectOnce = async () => {
    const t0 = performance.now();
    const dets = model.predict([image]);
    await settle(dets.flatMap((d) => [d.boxes, d.scores, ...(d.masks ? [d.masks] : [])]));
    return { ms: performance.now() - t0, dets };
  };
  // The first call also fills the model's caches (folded norms, anchors), which stay.
  const warm = await detectOnce();
  const reference = warm.dets;
  const before = tf.memory().numTensors;
  const totals: number[] = [];
  const perStage: StageTimes[] = [];
  let stagedMatchesDetect = true;
  let proposals = 0;
  // Whole and staged calls alternate, so that a shared machine's changing load falls on both.
  for (let i = 0; i < repeats; i++) {
    const r = await detectOnce();
    totals.push(r.ms);
    disposeAll(r.dets);
    const { detections, ms, proposals: counts } = await detectByStage(model, [image]);
    proposals = counts[0];
    stagedMatchesDetect &&= sameDetections(detections, reference);
    disposeAll(detections);
    perStage.push(ms);
  }
  const stages = Object.fromEntries(STAGES.map((s) => [s, round1(median(perStage.map((p) => p[s])))])) as StageTimes;
  const t0 = performance.now();
  const info = await tf.profile(async () => {
    const dets = model.predict([image]);
    await settle(dets.map((d) => d.scores));
    return dets.flatMap((d) => [d.boxes, d.scores, d.labels, ...(d.masks ? [d.masks] : [])]);
  });
  const wallMs = performance.now() - t0;
  tf.dispose(info.result as tf.Tensor[]);
  const detections = reference[0].scores.shape[0];
  const leakedTensors = tf.memory().numTensors - before;
  disposeAll(reference);
  return {
    medianMs: median(totals),
    minMs: Math.min(...totals),
    stages,
    proposals,
    detections,
    stagedMatchesDetect,
    profile: { ...summariseKernels(info, top), wallMs: round1(wallMs) },
    leakedTensors,
  };
}

async function main(): Promise<void> {
  const argv = process.argv;
  const models = listOption(argv, 'models', DEFAULT_MODELS);
  const repeats = positiveIntOption(argv, 'repeats', 3, 'detector.bench');
  const top = positiveIntOption(argv, 'top', 8, 'detector.bench');
  const threads = wantedWasmThreads();
  const noTorch = argv.includes('--no-torch');
  await forEachBackend('detector', listOption(argv, 'backends', ['wasm']), async (choice) => {
    const image = rcnnImage(IMAGE);
    for (const name of models) {
      const model = createDetector(name, {
        rpn: { preNmsTopN: { training: 2000, testing: SETTINGS.rpnPreNmsTopN }, postNmsTopN: { training: 2000, testing: SETTINGS.rpnPostNmsTopN } },
        roiHeads: { scoreThresh: SETTINGS.scoreThresh, nmsThresh: SETTINGS.nmsThresh, detectionsPerImg: SETTINGS.detectionsPerImg },
      });
      fillHashWeights(model);
      model.eval();
      // torchvision runs just before ours, model by model, so both see about the same load.
      const theirs = referenceFor(noTorch ? 'skipped: --no-torch' : torchvisionFigures([name], repeats, threads, top), name, 'bench_detector.py');
      const loadBefore = loadavg()[0];
      const ours = await timeOurs(model, image, repeats, top);
      model.dispose();
      const oursIps = 1000 / ours.medianMs;
      console.log(
        JSON.stringify({
          bench: 'detector',
          name,
          ...backendFields(choice),
          image: [IMAGE.shape[1], IMAGE.shape[2]],
          batch: 1,
          threads,
          repeats,
          settings: SETTINGS,
          imagesPerSecond: round3(oursIps),
          medianMs: round1(ours.medianMs),
          minMs: round1(ours.minMs),
          stages: ours.stages,
          proposals: ours.proposals,
          detections: ours.detections,
          stagedMatchesDetect: ours.stagedMatchesDetect,
          leakedTensors: ours.leakedTensors,
          profile: ours.profile,
          torchvision: theirs,
          // ours / torchvision images per second: the target is >= 0.5.
          ratio: rateRatio(oursIps, theirs),
          ...machineFields(loadBefore),
        }),
      );
    }
    image.dispose();
  });
}

await main();
