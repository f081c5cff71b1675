/**
 * The detection loop on a tiny Faster R-CNN (resnest14d, min size 64, small RPN/RoI samples) over
 * a synthetic set: the resumed run's next losses equal an uninterrupted run's, the tensor count
 * is flat over steps, evaluation writes COCO results with category ids, and the recipe's pieces
 * (warmup/multi-step LR, decay groups, clipping) give their formulas' numbers.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { generateSyntheticCoco, type SyntheticCoco } from '@tfvision/coco';
import { detectorConfig, GeneralizedRcnn } from '@tfvision/heads';
import { initBackend } from '@tfvision/nn';
import { DetectionEvalSet, DetectionTrainSet } from './detection-data.js';
import { readDetectionLog, type DetectionTrainRecord } from './detection-log.js';
import { DetectionLoader } from './detection-loader.js';
import { detectionLrAt } from './detection-lr.js';
import { detectionParamGroups } from './detection-param-groups.js';
import { DetectionTrainer } from './detection-trainer.js';
import { clipGradNorm } from '../engine/index.js';
import { StepRandperm } from './step-randperm.js';
import { buildSeeded } from './detection-run.js';

const root = mkdtempSync(join(tmpdir(), 'tfvision-det-train-'));
let synth: SyntheticCoco;
const silent = { write: () => true, isTTY: false };

beforeAll(async () => {
  await initBackend({ backend: 'wasm', report: false });
  synth = await generateSyntheticCoco({ outDir: join(root, 'synth'), images: 8, seed: 5, size: 64, colors: 'random' });
});

function tinyTrainer(outDir: string, totalSteps: number, resume = false, extra: { evalEverySteps?: number } = {}): { trainer: DetectionTrainer; model: GeneralizedRcnn } {
  const trainSet = DetectionTrainSet.fromCoco(synth.dataset, synth.imageDir, { masks: false });
  const evalSet = DetectionEvalSet.fromCoco(synth.dataset, synth.imageDir);
  const randperm = new StepRandperm(7);
  const config = detectorConfig('fasterrcnn_resnest14d_fpn', {
    numClasses: trainSet.labels.numClasses + 1,
    transform: { minSize: [64], maxSize: 64 },
    neck: { outChannels: 32 },
    rpn: { batchSizePerImage: 32, preNmsTopN: { training: 100, testing: 50 }, postNmsTopN: { training: 50, testing: 20 } },
    roiHeads: { batchSizePerImage: 16, representationSize: 32, detectionsPerImg: 10 },
  });
  const model = buildSeeded(config, randperm, 11);
  const trainer = new DetectionTrainer({
    model,
    randperm,
    loader: new DetectionLoader(trainSet, { batchSize: 2, seed: 3 }),
    labels: trainSet.labels,
    evalSet,
    totalSteps,
    lr: { lrPer16: 0.08, warmupIters: 2, warmupFactor: 0.001, milestones: [4], gamma: 0.1 },
    momentum: 0.9,
    decay: { weightDecay: 1e-4 },
    clipGradNorm: 10,
    outDir,
    resume,
    configHash: 'test',
    seed: 3,
    evalLimit: 3,
    checkpointEverySteps: 2,
    progress: silent,
    ...extra,
  });
  return { trainer, model };
}

const trainLosses = (dir: string) => readDetectionLog(join(dir, 'log.jsonl')).filter((r): r is DetectionTrainRecord => r.type === 'train');

describe('DetectionTrainer', () => {
  it('resumes exactly: the losses after --resume equal an uninterrupted run, and evaluation writes COCO results', async () => {
    const full = join(root, 'full');
    const a = tinyTrainer(full, 5);
    const result = await a.trainer.run();
    a.trainer.dispose();
    a.model.dispose();
    const uninterrupted = trainLosses(full);
    expect(uninterrupted.map((r) => r.step)).toEqual([1, 2, 3, 4, 5]);
    expect(Object.keys(uninterrupted[0].losses).sort()).toEqual(['loss_box_reg', 'loss_classifier', 'loss_objectness', 'loss_rpn_box_reg']);
    for (const r of uninterrupted) expect(r.loss).toBeCloseTo(Object.values(r.losses).reduce((s, v) => s + v, 0), 5);
    // The logged rate is the recipe's: (0.08 * 2 / 16) with warmup from 0.001, x0.1 from step 4.
    expect(uninterrupted.map((r) => r.lr)).toEqual([0, 1, 2, 3, 4].map((t) => detectionLrAt({ lrPer16: 0.08, batchSize: 2, warmupIters: 2, warmupFactor: 0.001, milestones: [4], gamma: 0.1 }, t)));
    expect(result.finalEval?.images).toBe(3);
    expect(result.finalEval?.bbox.stats).toHaveLength(12);
    const results = JSON.parse(readFileSync(join(full, 'results.bbox.json'), 'utf8')) as { category_id: number; image_id: number; bbox: number[] }[];
    const catIds = new Set(synth.dataset.categories.map((c) => c.id));
    expect(results.every((r) => catIds.has(r.category_id) && r.bbox.length === 4)).toBe(true);
    expect(existsSync(join(full, 'curves.png'))).toBe(true);
    expect(JSON.parse(readFileSync(join(full, 'metrics.json'), 'utf8')).bbox.stats).toEqual(result.finalEval?.bbox.stats);

    // Interrupted after the checkpoint at step 2 (the process dies: fresh objects, another init).
    const cut = join(root, 'cut');
    // Train 3 steps (checkpoint at 2), as a run of 5 killed during step 4 leaves it.
    const partial = tinyTrainer(cut, 5);
    await runUntil(partial.trainer, 3);
    partial.trainer.dispose();
    partial.model.dispose();
    const resumed = tinyTrainer(cut, 5, true);
    const r2 = await resumed.trainer.run();
    resumed.trainer.dispose();
    resumed.model.dispose();
    expect(r2.startStep).toBe(2);
    const after = trainLosses(cut);
    expect(after.map((r) => r.step)).toEqual([1, 2, 3, 4, 5]);
    expect(after.map((r) => r.losses)).toEqual(uninterrupted.map((r) => r.losses));
  });

  it('keeps tf.memory().numTensors flat over 20 steps', async () => {
    const { trainer, model } = tinyTrainer(join(root, 'mem'), 20);
    const loader = trainer.o.loader;
    model.train();
    const counts: number[] = [];
    for (let step = 0; step < 20; step++) {
      const samples = await loader.batch(step);
      trainer.trainStep(step, samples);
      counts.push(tf.memory().numTensors);
    }
    trainer.dispose();
    model.dispose();
    expect(counts.slice(1)).toEqual(new Array(19).fill(counts[1]));
  });
});

/** Runs `trainer` as if killed right after step `steps` (its checkpoints and log stay as they were). */
async function runUntil(trainer: DetectionTrainer, steps: number): Promise<void> {
  const loader = trainer.o.loader;
  const original = loader.steps.bind(loader);
  loader.steps = (from: number, to: number) => original(from, Math.min(to, steps));
  await trainer.run().catch(() => undefined);
}

describe('the recipe pieces', () => {
  it('WarmupMultiStepLR: factor 0.001 -> 1 over the warmup, x gamma at each milestone, lr per 16 images scaled to the batch', () => {
    const o = { lrPer16: 0.02, batchSize: 4, warmupIters: 1000, warmupFactor: 0.001, milestones: [60000, 80000], gamma: 0.1 };
    expect(detectionLrAt(o, 0)).toBeCloseTo(0.005 * 0.001, 12);
    expect(detectionLrAt(o, 500)).toBeCloseTo(0.005 * (0.001 * 0.5 + 0.5), 12);
    expect(detectionLrAt(o, 1000)).toBe(0.005);
    expect(detectionLrAt(o, 59999)).toBe(0.005);
    expect(detectionLrAt(o, 60000)).toBeCloseTo(0.0005, 12);
    expect(detectionLrAt(o, 80000)).toBeCloseTo(0.00005, 12);
  });

  it('decays weights and biases but not norm parameters, and leaves frozen ones out', () => {
    const model = new GeneralizedRcnn(detectorConfig('fasterrcnn_resnet18_fpn', { numClasses: 3, backbone: { name: 'resnet18', options: { norm: 'bn', frozenStages: 1 } } }));
    const groups = detectionParamGroups(model, { weightDecay: 1e-4, weightDecayBias: 0 });
    const byName = new Map(groups.map((g) => [g.name, g.weightDecay]));
    expect(byName.get('backbone.body.layer2.0.conv1.weight')).toBe(1e-4);
    expect(byName.get('backbone.body.layer2.0.bn1.weight')).toBe(0);
    expect(byName.get('backbone.body.layer2.0.bn1.bias')).toBe(0);
    expect(byName.get('backbone.fpn.inner_blocks.0.0.bias') ?? byName.get('backbone.fpn.inner_blocks.0.bias')).toBe(0);
    expect(byName.get('roi_heads.box_predictor.cls_score.weight')).toBe(1e-4);
    expect(byName.has('backbone.body.conv1.weight')).toBe(false); // stem frozen
    expect(byName.has('backbone.body.layer1.0.conv1.weight')).toBe(false); // frozenStages 1
    model.dispose();
  });

  it('clips by global norm as clip_grad_norm_ (scale max / (norm + 1e-6)) and leaves small gradients alone', () => {
    const g = new Map<string, tf.Tensor>([['a', tf.tensor1d([3, 0])], ['b', tf.tensor1d([4])]]);
    const { grads, norm } = clipGradNorm(g, 1);
    expect(norm).toBeCloseTo(5, 6);
    expect(Array.from(grads.get('a')!.dataSync())[0]).toBeCloseTo(3 / (5 + 1e-6), 6);
    expect(clipGradNorm(g, 10).grads).toBe(g);
    tf.dispose([...g.values(), ...grads.values()]);
  });
});
