/**
 * `tfvision demo`: the main job end to end on data it makes itself. Synthetic COCO shapes whose
 * class is the shape alone (random colour per instance, partial occlusion); a ResNeSt backbone
 * pretrained as a classifier on object crops of the training split (pretrain-crops.ts); its
 * weights loaded into a small Mask R-CNN's `backbone.body`; detection fine-tuning with
 * @tfvision/train's DetectionTrainer (the bundled demo config); COCO bbox and segm AP on the
 * held-out split before and after; drawn detections and the trainer's curves.png.
 */
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { generateSyntheticCoco, readCocoFile } from '@tfvision/coco';
import { initBackend } from '@tfvision/nn';
import type { DetectionEvalReport, DetectionTrainConfig } from '@tfvision/train';
import { cropObjects } from './crops.js';
import { drawHeldOut } from './draw-predictions.js';
import { pretrainOnCrops } from './pretrain-crops.js';
import { loadBackboneWeights } from './transfer-backbone.js';
import { wasmThreadsFor } from '../wasm-threads.js';

export interface DemoOptions {
  /** Detection config (the bundled demo config unless a test passes another). */
  configPath: string;
  /** Detection fine-tuning iterations (overrides schedule.iterations; milestones scale with it). */
  steps: number;
  /** Crop-classification pretraining steps; 0 fine-tunes from random weights. */
  pretrainSteps: number;
  /** Training and held-out images (override data.synth). */
  images: number;
  heldOutImages: number;
  /** Synthetic image width (height is this or 3/4 of it); the detector's input size follows. */
  size: number;
  seed: number;
  /** Smallest shape radius in pixels; default DEMO_MIN_RADIUS_FRACTION of `size`. */
  minRadius?: number;
  /** Most shapes per image (the generator's maxObjects); default the generator's. */
  maxObjects?: number;
  /** Largest occluded fraction of a shape; default the config's data.synth.maxOcclusion. */
  maxOcclusion?: number;
  /** Held-out bbox AP50 (0..1) the run must reach to pass. */
  minAp50: number;
  backend?: string;
  /** Run directory: data/, curves.png, log.jsonl, metrics.json, predictions/*.png. */
  outDir: string;
  log: (line: string) => void;
}

export interface ApFigures {
  bboxAP: number;
  bboxAP50: number;
  segmAP: number;
  segmAP50: number;
}

export interface DemoResult {
  backend: string;
  pretrainTop1?: number;
  before: ApFigures;
  after: ApFigures;
  passed: boolean;
  drawn: string[];
  curves: string;
  seconds: { data: number; pretrain: number; finetune: number; total: number };
}

/**
 * Smallest shape radius as a fraction of the image width (10 px at 64 px): the generator's default
 * of 4 px makes dots whose shape, and so class, a few pixels hardly show, and at 1/12 (8 px at
 * 96 px, 40% occlusion) a few CPU minutes of fine-tuning reached held-out AP50 0.15 only.
 * data.synth of a detection config has no such key, so it is set here.
 */
export const DEMO_MIN_RADIUS_FRACTION = 5 / 32;
/** Crop side the backbone is pretrained at: 32 px, the smallest a 32x-downsampling backbone takes. */
export const DEMO_CROP_SIZE = 32;
const PRETRAIN_BATCH = 32;
const PRETRAIN_LR = 0.05;
/** Held-out images drawn with their detections, enlarged this many times. */
const DRAWN_IMAGES = 4;
const DRAWN_SCALE = 4;

function figures(r: DetectionEvalReport): ApFigures {
  return { bboxAP: r.bbox.stats[0], bboxAP50: r.bbox.stats[1], segmAP: r.segm?.stats[0] ?? 0, segmAP50: r.segm?.stats[1] ?? 0 };
}

const pct = (v: number) => (v * 100).toFixed(1);
export function formatAp(f: ApFigures): string {
  return `bbox AP ${pct(f.bboxAP)} AP50 ${pct(f.bboxAP50)} | segm AP ${pct(f.segmAP)} AP50 ${pct(f.segmAP50)}`;
}

/** The demo's detection config: the bundled one with the command's flags merged in. */
export function demoConfig(o: DemoOptions, loadDetectionConfig: (path: string, overrides: Record<string, unknown>) => DetectionTrainConfig): DetectionTrainConfig {
  const base = loadDetectionConfig(o.configPath, {});
  const s = base.schedule;
  // Milestones and warmup keep their fraction of the schedule when --steps changes its length.
  const scale = (n: number) => Math.max(0, Math.min(o.steps, Math.round((n / s.iterations) * o.steps)));
  return loadDetectionConfig(o.configPath, {
    data: {
      root: join(o.outDir, 'data'),
      synth: { size: o.size, ...(o.maxOcclusion !== undefined ? { maxOcclusion: o.maxOcclusion } : {}), train: { images: o.images, seed: 2 * o.seed + 1 }, val: { images: o.heldOutImages, seed: 2 * o.seed + 2 } },
    },
    // Short side to `size`: the 3/4-high images are enlarged to the full images' scale.
    model: { transform: { minSize: [o.size], maxSize: Math.ceil((o.size * 4) / 3) } },
    schedule: { iterations: o.steps, warmupIters: scale(s.warmupIters), milestones: [...new Set(s.milestones.map(scale).filter((m) => m > 0 && m < o.steps))] },
    seed: o.seed,
  });
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const t0 = Date.now();
  const train = await import('@tfvision/train');
  const config = demoConfig(o, train.loadDetectionConfig);
  const backend = await initBackend({ backend: o.backend, wasmThreads: wasmThreadsFor(config.model.backbone.name) });
  o.log(`backend: ${backend.name}${backend.native?.active ? ` (${backend.native.detail})` : ''}`);
  const outDir = resolve(o.outDir);
  // A fresh run each time: the data follow the flags, and the trainer starts from step 0.
  for (const stale of ['data', 'checkpoints', 'predictions', 'eval', 'log.jsonl', 'metrics.json', 'results.bbox.json', 'results.segm.json', 'curves.png']) rmSync(join(outDir, stale), { recursive: true, force: true });
  const trainSplit = train.splitPaths(config, 'train');
  const valSplit = train.splitPaths(config, 'val');
  const synth = config.data.synth!;
  const minRadius = o.minRadius ?? Math.round(o.size * DEMO_MIN_RADIUS_FRACTION);
  for (const [split, which] of [[trainSplit, synth.train], [valSplit, synth.val]] as const) {
    await generateSyntheticCoco({ outDir: dirname(split.annotations), images: which.images, seed: which.seed, size: synth.size, colors: synth.colors, maxOcclusion: synth.maxOcclusion, minRadius, ...(o.maxObjects !== undefined ? { maxObjects: o.maxObjects } : {}) });
  }
  const [trainCoco, valCoco] = await Promise.all([readCocoFile(trainSplit.annotations), readCocoFile(valSplit.annotations)]);
  const objects = (c: typeof trainCoco) => c.annotations.filter((a) => !a.iscrowd).length;
  o.log(`data: ${trainCoco.images.length} training images (${objects(trainCoco)} objects), ${valCoco.images.length} held-out images (${objects(valCoco)} objects), ${o.size} px; ` +
    `shapes of radius >= ${minRadius} px, up to ${pct(synth.maxOcclusion ?? 0)}% occluded${o.maxObjects !== undefined ? `, 1-${o.maxObjects} shapes an image` : ''}; classes ${trainCoco.categories.map((c) => c.name).join(', ')}, each instance a random colour: the class is the shape alone`);
  const tData = Date.now();

  let pretrainTop1: number | undefined;
  let classifier: Awaited<ReturnType<typeof pretrainOnCrops>>['model'] | undefined;
  const backboneName = config.model.backbone.name;
  if (o.pretrainSteps > 0) {
    const [trainCrops, valCrops] = await Promise.all([cropObjects(trainCoco, trainSplit.images, DEMO_CROP_SIZE), cropObjects(valCoco, valSplit.images, DEMO_CROP_SIZE)]);
    o.log(`pretrain: ${backboneName} as a ${trainCrops.classNames.length}-way classifier on ${trainCrops.count} object crops (${DEMO_CROP_SIZE}x${DEMO_CROP_SIZE}), ${o.pretrainSteps} steps of ${PRETRAIN_BATCH}`);
    const pre = await pretrainOnCrops(trainCrops, valCrops, { backbone: backboneName, steps: o.pretrainSteps, batchSize: PRETRAIN_BATCH, lr: PRETRAIN_LR, seed: o.seed, log: o.log, logEvery: Math.max(1, Math.round(o.pretrainSteps / 5)) });
    pretrainTop1 = pre.heldOutTop1;
    classifier = pre.model;
    o.log(`pretrain: held-out crop top-1 ${pct(pretrainTop1)}% over ${valCrops.count} crops (chance ${pct(1 / trainCrops.classNames.length)}%)`);
  }
  const tPretrain = Date.now();

  const run = await train.buildDetectionRun(config, { outDir, progress: { write: (s: string) => o.log(s.replace(/\n$/, '')) } });
  try {
    if (classifier) {
      // Every detector of the zoo keeps its zoo backbone at `backbone.body` (BackboneWithFpn).
      const body = run.model.namedModules().find(([name]) => name === 'backbone.body')?.[1];
      if (!body) throw new Error(`runDemo: ${run.modelName} has no backbone.body module to load the crop classifier into`);
      const t = loadBackboneWeights(classifier, body);
      classifier.dispose();
      o.log(`detector: ${run.modelName}, ${run.model.numParameters().toLocaleString('en-US')} parameters; backbone.body loaded from the crop classifier (${t.copied} tensors; left out: ${t.unused.join(', ') || 'none'})`);
    } else o.log(`detector: ${run.modelName}, ${run.model.numParameters().toLocaleString('en-US')} parameters, random initialisation`);
    const before = figures(await train.evaluateDetector(run.model, run.evalSet, run.trainSet.labels));
    o.log(`held-out before fine-tuning: ${formatAp(before)}`);
    o.log(`fine-tune: ${run.trainer.o.totalSteps} iterations of ${config.optimizer.batchSize} images, lr ${run.baseLr} (warmup ${config.schedule.warmupIters}, x${config.schedule.gamma} at ${config.schedule.milestones.join(', ') || 'never'})`);
    const result = await run.trainer.run();
    if (!result.finalEval) throw new Error('runDemo: the trainer ran no final evaluation');
    const after = figures(result.finalEval);
    o.log(`held-out after fine-tuning:  ${formatAp(after)}  (${result.finalEval.images} images, ${result.finalEval.detections} detections)`);
    const drawn = await drawHeldOut(result.finalEval, run.evalSet, join(outDir, 'predictions'), DRAWN_IMAGES, DRAWN_SCALE);
    const curves = run.trainer.paths.plot;
    o.log(`drawn: ${drawn.join(', ')}`);
    o.log(`curves: ${curves}`);
    const tEnd = Date.now();
    const seconds = { data: (tData - t0) / 1000, pretrain: (tPretrain - tData) / 1000, finetune: (tEnd - tPretrain) / 1000, total: (tEnd - t0) / 1000 };
    o.log(`time: ${seconds.total.toFixed(0)} s (data ${seconds.data.toFixed(0)} s, pretrain ${seconds.pretrain.toFixed(0)} s, detector ${seconds.finetune.toFixed(0)} s)`);
    const passed = after.bboxAP50 >= o.minAp50;
    o.log(`result: held-out bbox AP50 ${pct(after.bboxAP50)} ${passed ? '>=' : '<'} ${pct(o.minAp50)}: ${passed ? 'PASS' : 'FAIL'}`);
    return { backend: backend.name, pretrainTop1, before, after, passed, drawn, curves, seconds };
  } finally {
    run.close();
  }
}
