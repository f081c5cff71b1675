/**
 * A tiny segmentation run on the engine, end to end on synthetic shapes: the loss falls, the run
 * writes its log, per-class evaluation JSON and checkpoints, and a run stopped at step 3 and
 * resumed ends with the same weights and the same later losses as an uninterrupted one.
 * wasm by default (the JS cpu backend is slow for backward passes under jest).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { SHAPE_CATEGORIES } from '@tfvision/coco';
import { initBackend } from '@tfvision/nn';
import { validateSegmentationConfig, type SegmentationTrainConfig } from './segmentation-config.js';
import { buildSegmentationRun, segmentationRunPaths } from './segmentation-run.js';

let dir: string;
beforeAll(async () => {
  await initBackend({ backend: process.env.TFVISION_TRAIN_BACKEND ?? 'wasm', report: false });
  dir = mkdtempSync(join(tmpdir(), 'seg-train-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(over: Partial<SegmentationTrainConfig> = {}): SegmentationTrainConfig {
  return validateSegmentationConfig(
    {
      model: { type: 'deeplabv3', backbone: { name: 'resnet18' }, head: { channels: 16 } },
      data: {
        root: join(dir, 'data'), train: { annotations: 'train/annotations.json', images: 'train/images' }, val: { annotations: 'val/annotations.json', images: 'val/images' },
        minAnnotatedArea: 0, scale: [32, 40], cropSize: 32, flipProb: 0.5, evalSize: false, prefetch: 2, cache: true,
        synth: { size: 48, colors: 'category', train: { images: 8, seed: 1 }, val: { images: 2, seed: 2 } },
      },
      optimizer: { lr: 0.05, batchSize: 2, momentum: 0.9, weightDecay: 1e-4, auxLrMultiplier: 10 },
      schedule: { iterations: 6, power: 0.9, warmupIters: 0, warmupFactor: 0.01 },
      loss: { auxWeight: 0.5 },
      eval: { everySteps: false, draw: 1 },
      checkpoint: { everySteps: 3, keep: 2 },
      seed: 3,
      ...over,
    },
    'test config',
  );
}

const quiet = { write: () => true };

async function train(outDir: string, o: { resume?: boolean; stopAfterStep?: number } = {}) {
  const run = await buildSegmentationRun(config(), { outDir, progress: quiet, ...o });
  try {
    const held = tf.memory().numTensors;
    const result = await run.trainer.run();
    // Training, evaluation and checkpoints leave nothing behind beyond what the run holds.
    const leaked = tf.memory().numTensors - held;
    const weights = new Map([...run.model.stateDict()].map(([k, v]) => [k, Array.from(v.dataSync())]));
    return { result, weights, leaked };
  } finally {
    run.close();
  }
}

describe('segmentation training on the engine', () => {
  it('lowers the loss and writes the log, evaluation and checkpoints', async () => {
    const out = join(dir, 'straight');
    const { result, leaked } = await train(out);
    expect(leaked).toBe(0);
    expect(result.losses).toHaveLength(6);
    const first = (result.losses[0] + result.losses[1]) / 2;
    const last = (result.losses[4] + result.losses[5]) / 2;
    expect(last).toBeLessThan(first);
    const paths = segmentationRunPaths(out);
    const metrics = JSON.parse(readFileSync(paths.metrics, 'utf8'));
    expect(metrics.step).toBe(6);
    const shapes = [...SHAPE_CATEGORIES].sort((a, b) => a.id - b.id).map((k) => k.name);
    expect(metrics.perClass.map((k: { name: string }) => k.name)).toEqual(['background', ...shapes]);
    expect(metrics.mIoU).toBeGreaterThanOrEqual(0);
    expect(existsSync(join(paths.evals, 'step-00000006.json'))).toBe(true);
    const log = readFileSync(paths.log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log.filter((r) => r.type === 'train').map((r) => Object.keys(r.losses).sort())[0]).toEqual(['loss_aux', 'loss_out']);
    expect(log.find((r) => r.type === 'eval').metrics.mIoU).toBeCloseTo(metrics.mIoU, 12);
  }, 300000);

  it('trains DeepLabV3+ (no auxiliary head: loss_out alone)', async () => {
    const c = config({ model: { type: 'deeplabv3plus', backbone: { name: 'resnet18' }, head: { channels: 16, lowLevelChannels: 8 } }, schedule: { iterations: 2, power: 0.9, warmupIters: 0, warmupFactor: 0.01 } });
    const out = join(dir, 'plus');
    const run = await buildSegmentationRun(c, { outDir: out, progress: quiet });
    try {
      const result = await run.trainer.run();
      expect(result.losses.every(Number.isFinite)).toBe(true);
      const log = readFileSync(segmentationRunPaths(out).log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(Object.keys(log[0].losses)).toEqual(['loss_out']);
    } finally {
      run.close();
    }
  }, 300000);

  it('resumes exactly: same later losses and final weights as the uninterrupted run', async () => {
    const straight = await train(join(dir, 'straight-2'));
    const out = join(dir, 'resumed');
    await train(out, { stopAfterStep: 3 });
    const resumed = await train(out, { resume: true });
    expect(resumed.result.startStep).toBe(3);
    expect(resumed.result.losses).toEqual(straight.result.losses.slice(3));
    const differing = [...straight.weights].filter(([k, v]) => (resumed.weights.get(k) ?? []).some((x, i) => x !== v[i])).map(([k]) => k);
    expect(differing).toEqual([]);
  }, 300000);
});
