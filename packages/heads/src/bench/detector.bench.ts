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
 * Image: 800x1088 (GeneralizedRCNNTransform keeps it at scale 1, no padding), the formula image
 * of src/testing/rcnn-images.ts with a few rectangles as objects.
 * Per model and backend, one JSON line: images/s from the median of --repeats predict() calls after
 * one warm-up (each followed by one staged call), the median wall ms of each stage (detector-stages.ts), a tf.profile summary of one
 * call (kernel count, kernel ms, top kernels), torchvision's same figures and ratio = ours /
 * torchvision images/s (>= 0.5 is the issue's target; >= 1 means ours is at least as fast).
 * Run: npx tsc -p packages/heads/tsconfig.build.json && node packages/heads/dist/bench/detector.bench.js
 *   (options: --models a,b --repeats N --backends wasm --no-torch --top N)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, wantedWasmThreads, type BackendChoice } from '@tfvision/nn';
import { createDetector } from '../detectors/registry.js';
import type { GeneralizedRcnn } from '../detectors/generalized-rcnn.js';
import { disposeInstances, type Detections } from '../structures/instances.js';
import { fillHashWeights } from '../testing/hash-weights.js';
import { rcnnImage, type RcnnImageSpec } from '../testing/rcnn-images.js';
import { STAGES, detectByStage, settle, summariseKernels, type KernelSummary, type StageTimes } from './detector-stages.js';

const PYTHON = '/usr/bin/python3';
const HERE = dirname(fileURLToPath(import.meta.url));
const REFERENCE_SCRIPT = join(HERE, '..', '..', 'tools', 'bench_detector.py');
const DEFAULT_MODELS = ['fasterrcnn_resnet50_fpn', 'maskrcnn_resnest50d_fpn'];
/** The settings both sides run with (torchvision's test defaults but the score threshold). */
const SETTINGS = { scoreThresh: 0, rpnPreNmsTopN: 1000, rpnPostNmsTopN: 1000, nmsThresh: 0.5, detectionsPerImg: 100 };
const IMAGE: RcnnImageSpec = {
  name: 'image0',
  shape: [3, 800, 1088],
  rects: [
    [80, 96, 480, 560, 0.9, 0.2, 0.1],
    [560, 240, 1040, 480, 0.1, 0.8, 0.3],
    [320, 600, 720, 760, 0.95, 0.95, 0.9],
    [800, 40, 960, 720, 0.3, 0.3, 0.85],
    [40, 640, 200, 780, 0.7, 0.7, 0.1],
    [620, 520, 700, 580, 0.05, 0.6, 0.9],
  ],
};

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const median = (v: readonly number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round1 = (v: number) => Math.round(v * 10) / 10;
const round3 = (v: number) => Math.round(v * 1000) / 1000;

interface Reference {
  name: string;
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
  error?: string;
}

function torchvisionFigures(models: readonly string[], repeats: number, threads: number, top: number): Map<string, Reference> | string {
  if (!existsSync(PYTHON)) return `skipped: ${PYTHON} not found`;
  if (spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status !== 0) return 'skipped: torchvision not importable';
  const dir = mkdtempSync(join(tmpdir(), 'tfvision-detector-bench-'));
  try {
    const spec = join(dir, 'spec.json');
    writeFileSync(spec, JSON.stringify({ models, image: IMAGE, settings: SETTINGS, repeats, threads, top }));
    // Two R-CNNs at 800x1088 on a shared 2-core machine take minutes; the output is small.
    const run = spawnSync(PYTHON, [REFERENCE_SCRIPT, spec], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (run.status !== 0) return `failed: ${(run.stderr || '').trim().split('\n').slice(-1)[0]}`;
    const out = new Map<string, Reference>();
    for (const line of run.stdout.split('\n')) if (line.startsWith('{')) {
      const r = JSON.parse(line) as Reference;
      out.set(r.name, r);
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
  const models = arg('models', DEFAULT_MODELS.join(',')).split(',').filter(Boolean);
  const repeats = Number(arg('repeats', '3'));
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`detector.bench: --repeats must be a positive integer, got ${repeats}`);
  const top = Number(arg('top', '8'));
  const backends = arg('backends', 'wasm').split(',').filter(Boolean);
  const threads = wantedWasmThreads();
  const noTorch = process.argv.includes('--no-torch');
  for (const backend of backends) {
    let choice: BackendChoice;
    try {
      choice = await initBackend({ backend, report: false });
    } catch (err) {
      console.log(JSON.stringify({ bench: 'detector', backend, unavailable: (err as Error).message }));
      continue;
    }
    const image = rcnnImage(IMAGE);
    for (const name of models) {
      const model = createDetector(name, {
        rpn: { preNmsTopN: { training: 2000, testing: SETTINGS.rpnPreNmsTopN }, postNmsTopN: { training: 2000, testing: SETTINGS.rpnPostNmsTopN } },
        roiHeads: { scoreThresh: SETTINGS.scoreThresh, nmsThresh: SETTINGS.nmsThresh, detectionsPerImg: SETTINGS.detectionsPerImg },
      });
      fillHashWeights(model);
      model.eval();
      // torchvision runs just before ours, model by model, so both see about the same load.
      const reference = noTorch ? 'skipped: --no-torch' : torchvisionFigures([name], repeats, threads, top);
      const loadBefore = loadavg()[0];
      const ours = await timeOurs(model, image, repeats, top);
      model.dispose();
      const ref = typeof reference === 'string' ? reference : reference.get(name);
      const oursIps = 1000 / ours.medianMs;
      const theirs = ref === undefined ? 'missing from bench_detector.py output' : ref;
      console.log(
        JSON.stringify({
          bench: 'detector',
          name,
          backend: choice.name,
          provider: choice.provider,
          native: choice.native?.detail ?? 'n/a',
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
          torchvision: typeof theirs === 'string' ? theirs : theirs.error ? `failed: ${theirs.error}` : theirs,
          // ours / torchvision images per second: the target is >= 0.5.
          ratio: typeof theirs === 'string' || theirs.error ? undefined : round3(oursIps / theirs.imagesPerSecond),
          // 1-minute load average when ours started, then the 1, 5 and 15-minute ones at the end.
          loadAverage: [loadBefore, ...loadavg()].map((l) => Math.round(l * 100) / 100),
          node: process.version,
          cpus: cpus().length,
          date: new Date().toISOString(),
        }),
      );
    }
    image.dispose();
  }
}

await main();
