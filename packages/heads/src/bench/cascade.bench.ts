/**
 * Cascade Mask R-CNN inference at 800x1088, batch 1 (issue #15): cascade_mask_rcnn_resnest50d_fpn
 * against detectron2 CPU (tools/bench_cascade.py, /usr/bin/python3, same thread count) in the
 * same run, on the same image and the same weights: the hash rule of src/testing/hash-weights.ts
 * under detectron2's names (detectron2-checkpoint.ts), which bench_cascade.py fills its model
 * with. detectron2 runs from its source (D2_SRC, with FVCORE_SRC, YACS_SRC, IOPATH_SRC) as
 * tools/reference/cascade.py sets it up (stubs for the modules inference never calls), over
 * timm's resnest50d (TIMM_SRC) as `backbone.bottom_up`. Without those sources the bench prints one
 * `{bench: 'cascade', skipped}` line and exits: there is nothing to compare against.
 * Settings on both sides: detectron2's Misc/cascade_mask_rcnn_R_50_FPN_1x test settings (800 /
 * 1333, 1000 proposals, NMS 0.5, 100 detections) except SCORE_THRESH_TEST 0, because hash
 * weights score below 0.05 and the mask head would then see no detections. The image is
 * detector.bench.ts's 800x1088 formula image (ResizeShortestEdge keeps it; no padding).
 * Per backend, one JSON line: images/s from the median of --repeats predict() calls after one
 * warm-up, proposal and detection counts, detectron2's figures and ratio = ours / detectron2
 * images/s (>= 0.5 is the issue's target).
 * Run: npx tsc -p packages/heads/tsconfig.build.json && node packages/heads/dist/bench/cascade.bench.js
 *   (options: --repeats N --backends wasm --no-torch)
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { wantedWasmThreads } from '@tfvision/nn';
import type { CascadeStageRecord } from '../cascade/cascade-roi-heads.js';
import type { CascadeRcnn } from '../detectors/cascade-rcnn.js';
import { detectron2Names } from '../detectors/detectron2-checkpoint.js';
import { createCascadeDetector } from '../detectors/registry.js';
import { disposeInstances, type Detections } from '../structures/instances.js';
import { fillHashWeights } from '../testing/hash-weights.js';
import { rcnnImage } from '../testing/rcnn-images.js';
import { backendFields, forEachBackend, listOption, machineFields, median, positiveIntOption, rateRatio, referenceFor, round1, round3, runReference, type ReferenceRow } from './bench-common.js';
import { DETECTOR_BENCH_IMAGE } from './bench-image.js';
import { DETECTRON2_SOURCES, missingSource } from './reference-sources.js';
import { settle } from './detector-stages.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REFERENCE_SCRIPT = join(HERE, '..', '..', 'tools', 'bench_cascade.py');
const MODEL = 'cascade_mask_rcnn_resnest50d_fpn';
const SETTINGS = { scoreThresh: 0, minSizeTest: 800, maxSizeTest: 1333, rpnPostNmsTopK: 1000, nmsThresh: 0.5, detectionsPerImage: 100 };

interface Reference extends ReferenceRow {
  imagesPerSecond: number;
  medianMs: number;
  minMs: number;
  proposals: number;
  detections: number;
  reference: string;
  threads: number;
}

interface Ours {
  medianMs: number;
  minMs: number;
  proposals: number;
  detections: number;
  leakedTensors: number;
}

async function timeOurs(model: CascadeRcnn, image: tf.Tensor3D, repeats: number): Promise<Ours> {
  const once = async (stages?: CascadeStageRecord[]) => {
    const t0 = performance.now();
    const dets = model.predict([image], stages);
    await settle(dets.flatMap((d) => [d.boxes, d.scores, ...(d.masks ? [d.masks] : [])]));
    return { ms: performance.now() - t0, dets };
  };
  const dispose = (dets: readonly Detections[]) => dets.forEach(disposeInstances);
  // The warm-up also fills the caches that stay (folded norms, anchors).
  const stages: CascadeStageRecord[] = [];
  const warm = await once(stages);
  const detections = warm.dets[0].scores.shape[0];
  dispose(warm.dets);
  const before = tf.memory().numTensors;
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const r = await once();
    times.push(r.ms);
    dispose(r.dets);
  }
  return { medianMs: median(times), minMs: Math.min(...times), proposals: stages[0].proposals[0].length / 4, detections, leakedTensors: tf.memory().numTensors - before };
}

async function main(): Promise<void> {
  const argv = process.argv;
  const repeats = positiveIntOption(argv, 'repeats', 3, 'cascade.bench');
  const threads = wantedWasmThreads();
  const noTorch = argv.includes('--no-torch');
  const missing = noTorch ? undefined : missingSource(DETECTRON2_SOURCES, process.env, existsSync);
  if (missing) {
    console.log(JSON.stringify({ bench: 'cascade', name: MODEL, skipped: `detectron2 reference unavailable: ${missing}` }));
    return;
  }
  await forEachBackend('cascade', listOption(argv, 'backends', ['wasm']), async (choice) => {
    const image = rcnnImage(DETECTOR_BENCH_IMAGE);
    const model = createCascadeDetector(MODEL, {
      transform: { minSizeTest: SETTINGS.minSizeTest, maxSizeTest: SETTINGS.maxSizeTest },
      rpn: { postNmsTopK: { training: 2000, testing: SETTINGS.rpnPostNmsTopK } },
      roiHeads: { scoreThresh: SETTINGS.scoreThresh, nmsThresh: SETTINGS.nmsThresh, detectionsPerImage: SETTINGS.detectionsPerImage },
    });
    fillHashWeights(model, detectron2Names(model).toDetectron2);
    model.eval();
    // detectron2 runs just before ours, so both see about the same load.
    const theirs = referenceFor(
      noTorch ? 'skipped: --no-torch' : runReference<Reference>({ script: REFERENCE_SCRIPT, spec: { models: [MODEL], image: DETECTOR_BENCH_IMAGE, settings: SETTINGS, repeats, threads }, probe: 'import torch, torchvision' }),
      MODEL,
      'bench_cascade.py',
    );
    const loadBefore = loadavg()[0];
    const ours = await timeOurs(model, image, repeats);
    model.dispose();
    image.dispose();
    const oursIps = 1000 / ours.medianMs;
    console.log(
      JSON.stringify({
        bench: 'cascade',
        name: MODEL,
        ...backendFields(choice),
        image: [DETECTOR_BENCH_IMAGE.shape[1], DETECTOR_BENCH_IMAGE.shape[2]],
        batch: 1,
        threads,
        repeats,
        settings: SETTINGS,
        imagesPerSecond: round3(oursIps),
        medianMs: round1(ours.medianMs),
        minMs: round1(ours.minMs),
        proposals: ours.proposals,
        detections: ours.detections,
        leakedTensors: ours.leakedTensors,
        detectron2: theirs,
        // ours / detectron2 images per second: the target is >= 0.5.
        ratio: rateRatio(oursIps, theirs),
        ...machineFields(loadBefore),
      }),
    );
  });
}

await main();
