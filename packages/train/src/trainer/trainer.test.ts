import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Batch } from '../data/index.js';
import type { BatchSource } from './batch-source.js';
import { NonFiniteLossError } from '../engine/index.js';
import { readLog } from './jsonl-log.js';
import { ProgressLine } from '../engine/index.js';
import { SquaresDataset, squaresLoader, tinyResNet } from './testing.js';
import { ClassificationTrainer, type TrainerOptions } from './trainer.js';

const quiet = () => new ProgressLine({ write: () => true, isTTY: false }, 1e9);
let dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'tfv-trainer-'));
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => {
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  dirs = [];
});

const train = new SquaresDataset(32, 8, 3);
const evalSet = new SquaresDataset(6, 8, 3, 99);

function options(outDir: string, over: Partial<TrainerOptions> = {}): TrainerOptions {
  return baseOptions(outDir, over);
}

function baseOptions(outDir: string, over: Partial<TrainerOptions> = {}): TrainerOptions {
  return {
    model: tinyResNet(3, 5),
    train: squaresLoader(train, 8, true),
    eval: squaresLoader(evalSet, 6, false),
    numClasses: 3,
    epochs: 2,
    accumulate: 2,
    lr: 0.2,
    schedule: { kind: 'cosine', warmupEpochs: 0.5 },
    momentum: 0.9,
    nesterov: true,
    weightDecay: 1e-4,
    labelSmoothing: 0.1,
    mixupAlpha: 0.2,
    dropBlock: 0,
    evalEverySteps: 2,
    checkpointEverySteps: 2,
    keepCheckpoints: 2,
    logEverySteps: 1,
    outDir,
    seed: 3,
    dataSeed: 0,
    configHash: 'test',
    progress: quiet(),
    plot: false,
    ...over,
  };
}

describe('ClassificationTrainer', () => {
  it('resumes exactly: k steps, fresh objects, resume, N-k steps == N uninterrupted steps', async () => {
    // DropBlock (ramped) and dropout on: their masks must also replay exactly after a resume.
    const stochastic = (seed: number) => tinyResNet(3, seed, { dropBlockRate: 0, dropRate: 0.3 });
    const options = (outDir: string, over: Partial<TrainerOptions> = {}) => baseOptions(outDir, { model: stochastic(5), dropBlock: 0.5, ...over });
    const full = new ClassificationTrainer(options(tempDir()));
    expect(full.stepsPerEpoch).toBe(2); // 4 batches of 8, 2 per step
    expect(full.totalSteps).toBe(4);
    const a = await full.run();
    expect(a.losses).toHaveLength(4);

    const out = tempDir();
    // Stopped mid-epoch: the resumed run must restart the loader at epoch 0, batch 2.
    const first = new ClassificationTrainer(options(out, { stopAfterStep: 1 }));
    const b1 = await first.run();
    expect(b1.steps).toBe(1);
    // A differently initialised model: everything must come from the checkpoint.
    const second = new ClassificationTrainer(options(out, { model: stochastic(1234), resume: true }));
    const b2 = await second.run();
    expect(b2.steps).toBe(4);
    const resumed = [...b1.losses, ...b2.losses];
    expect(resumed).toHaveLength(4);
    resumed.forEach((l, i) => expect(Math.abs(l - a.losses[i])).toBeLessThan(1e-6));
    expect(b2.finalEval?.top1).toBeCloseTo(a.finalEval?.top1 ?? -1, 6);

    // The log holds each step once (the resumed run replaced nothing it had not redone).
    const log = readLog(join(out, 'log.jsonl'));
    expect(log.filter((r) => r.type === 'train').map((r) => r.step)).toEqual([1, 2, 3, 4]);
    expect(log.filter((r) => r.type === 'eval').map((r) => r.step)).toEqual([2, 4]);
    // keep = 2: checkpoints of steps 1 (the stop), 2, 4 were written; 2 and 4 remain, latest is 4.
    expect(JSON.parse(readFileSync(join(out, 'checkpoints', 'latest.json'), 'utf8'))).toEqual({ checkpoint: 'step-00000004', step: 4 });
    expect(existsSync(join(out, 'checkpoints', 'step-00000001'))).toBe(false);
    expect(existsSync(join(out, 'checkpoints', 'step-00000002', 'optimizer.safetensors'))).toBe(true);
    const state = JSON.parse(readFileSync(join(out, 'checkpoints', 'step-00000004', 'trainer.json'), 'utf8'));
    expect(state).toMatchObject({ step: 4, totalSteps: 4, epoch: 2, batchInEpoch: 0, configHash: 'test' });
  }, 60_000);

  it('leaves the live tensor count unchanged by training steps and evaluation', async () => {
    const t = new ClassificationTrainer(options(tempDir(), { stopAfterStep: 1, accumulate: 1, evalEverySteps: 1 }));
    const before = tf.memory().numTensors;
    await t.run();
    expect(tf.memory().numTensors).toBe(before);
  }, 30_000);

  it('refuses to resume a different run', async () => {
    const out = tempDir();
    await new ClassificationTrainer(options(out, { stopAfterStep: 1, accumulate: 1 })).run();
    const other = new ClassificationTrainer(options(out, { resume: true, accumulate: 1, configHash: 'other' }));
    await expect(other.run()).rejects.toThrow(/config hash test, this config hashes to other/);
    await expect(new ClassificationTrainer(options(tempDir(), { resume: true })).run()).rejects.toThrow(/--resume: no checkpoint in/);
  }, 30_000);

  it('stops on a non-finite loss naming the step and keeps the last good checkpoint', async () => {
    const out = tempDir();
    const inner = squaresLoader(train, 8, true);
    // NaN pixels in the 3rd batch: step 3 becomes NaN, after the checkpoint of step 2.
    let served = 0;
    const poisoned: BatchSource = {
      batchesPerEpoch: () => inner.batchesPerEpoch(),
      epoch(e, start) {
        const it = inner.epoch(e, start);
        return {
          async *[Symbol.asyncIterator]() {
            for await (const b of it) {
              served++;
              yield served === 3 ? ({ ...b, images: new Float32Array(b.images.length).fill(NaN) } as Batch) : b;
            }
          },
        };
      },
    };
    const t = new ClassificationTrainer(options(out, { train: poisoned, accumulate: 1 }));
    const err = await t.run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect((err as NonFiniteLossError).step).toBe(3);
    expect((err as Error).message).toMatch(/^non-finite loss \(NaN\) at step 3\/8 \(epoch 0, batch 2\); training stopped/);
    expect((err as Error).message).toContain(join(out, 'checkpoints', 'step-00000002'));
    expect(JSON.parse(readFileSync(join(out, 'checkpoints', 'latest.json'), 'utf8')).step).toBe(2);
  }, 30_000);
});
