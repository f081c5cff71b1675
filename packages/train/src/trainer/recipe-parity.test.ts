/**
 * The classification recipe is pinned: a tiny config (narrow ResNet, 8x8 Fashion-MNIST-format
 * images, mixup + label smoothing, random crop + flip, DropBlock ramp + dropout, accumulation 2,
 * nesterov SGD, warmup + cosine) trained for 30 steps through buildRun must log exactly the
 * per-step losses, learning rates and evaluations in fixtures/recipe-30-steps.json. They were
 * recorded from the trainer before it moved onto the engine (one long method in trainer.ts) and
 * matched bit for bit after the move; they were recorded again when BatchNorm training became
 * one kernel (another float32 summation order: losses moved by at most 6.5e-5 relative over the
 * 30 steps, top-1 unchanged).
 * By default the first FAST_STEPS steps are run (as a run killed there: the schedule still spans
 * 30) and compared with the fixture's prefix; TFVISION_SLOW=1 runs and compares all 30.
 * TFVISION_RECORD_RECIPE=1 rewrites the fixture from the code under test (with TFVISION_SLOW=1).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@tfvision/nn';
import { validateTrainConfig } from '../config/index.js';
import { idxBytes } from '../data/__tests__/idx-bytes.js';
import { Rng } from '../rng.js';
import { buildRun } from './from-config.js';
import { ProgressLine } from '../engine/index.js';

const FIXTURE = join(__dirname, 'fixtures', 'recipe-30-steps.json');
const STEPS = 30;
const FAST_STEPS = 6;
const RUN_STEPS = process.env.TFVISION_SLOW === '1' ? STEPS : FAST_STEPS;

interface RecipeRecord {
  steps: number;
  losses: number[];
  log: { type: string; step: number; loss: number; lr?: number; top1?: number; top5?: number }[];
}

/** 10 classes, each a bright 3x3 square at its own place over seeded noise. */
function writeSet(dir: string, prefix: string, n: number, seed: number): void {
  const s = 8;
  const rng = new Rng(seed);
  const images: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 10;
    labels.push(c);
    const img = Array.from({ length: s * s }, () => rng.int(90));
    const ay = c % 5;
    const ax = (c * 3) % 6;
    for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) img[(ay + y) * s + ax + x] = 255;
    images.push(...img);
  }
  writeFileSync(join(dir, `${prefix}-images-idx3-ubyte`), idxBytes([n, s, s], images));
  writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte`), idxBytes([n], labels));
}

const rawConfig = (root: string) => ({
  model: { name: 'resnet18', options: {}, args: { layers: [1, 1, 1, 1], channels: [4, 4, 8, 8], stemStride: 1, stemPool: false } },
  data: { kind: 'fashion-mnist', root, inputSize: 8, workers: 0, prefetch: 2 },
  augment: { randomResizedCrop: false, randomCropPadding: 1, flip: true, colorJitter: false, lighting: 0, autoAugment: false, randAugment: false, mixupAlpha: 0.2, labelSmoothing: 0.1 },
  optim: { lr: 0.4, momentum: 0.9, nesterov: true, weightDecay: 1e-4, batchSize: 8, accumulate: 2 },
  schedule: { epochs: 8, warmupEpochs: 1, kind: 'cosine' },
  regularisation: { dropBlock: 0.1, dropRate: 0.2, zeroInitLastBn: true },
  eval: { everySteps: 10 },
  checkpoint: { everySteps: 10, keep: 1 },
  log: { everySteps: 1 },
  seed: 4,
});

describe('classification recipe', () => {
  let dir: string;
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', report: false });
    dir = mkdtempSync(join(tmpdir(), 'tfv-recipe-'));
    mkdirSync(join(dir, 'data'));
    writeSet(join(dir, 'data'), 'train', 64, 1);
    writeSet(join(dir, 'data'), 't10k', 20, 2);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`logs bit-identical losses, learning rates and evaluations over ${RUN_STEPS} of ${STEPS} steps`, async () => {
    const config = validateTrainConfig(rawConfig(join(dir, 'data')), 'recipe-parity');
    const run = buildRun(config, { outDir: join(dir, 'run'), totalSteps: STEPS, stopAfterStep: RUN_STEPS, plot: false, progress: new ProgressLine({ write: () => true, isTTY: false }, 1e9) });
    let got: RecipeRecord;
    try {
      const result = await run.trainer.run();
      const log = readFileSync(join(dir, 'run', 'log.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .map((r) => (r.type === 'train' ? { type: 'train', step: r.step, loss: r.loss, lr: r.lr } : { type: 'eval', step: r.step, loss: r.loss, top1: r.top1, top5: r.top5 })) as RecipeRecord['log'];
      got = { steps: result.steps, losses: result.losses, log };
    } finally {
      await run.close();
    }
    if (process.env.TFVISION_RECORD_RECIPE === '1' && RUN_STEPS === STEPS) {
      mkdirSync(join(__dirname, 'fixtures'), { recursive: true });
      writeFileSync(FIXTURE, `${JSON.stringify(got, null, 1)}\n`);
    }
    const want = JSON.parse(readFileSync(FIXTURE, 'utf8')) as RecipeRecord;
    expect(got.steps).toBe(RUN_STEPS);
    expect(want.losses).toHaveLength(STEPS);
    // toEqual on JSON doubles: bit-identical, not close.
    expect(got.losses).toEqual(want.losses.slice(0, RUN_STEPS));
    expect(got.log).toEqual(want.log.filter((r) => r.step <= RUN_STEPS));
  }, 120_000);
});
