/**
 * The engine on a two-weight least-squares model whose gradients are worked out by hand:
 * the update of a loss dict's sum with accumulation, the hook order, the best checkpoint and its
 * metric in the state across a resume, and the stop on a non-finite loss.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, Module } from '@tfvision/nn';
import { Sgd } from '../optim/index.js';
import { NonFiniteLossError } from './errors.js';
import type { Hook } from './hook.js';
import { BestCheckpointHook, EvalHook, JsonlLogHook, LrScheduleHook, PeriodicCheckpointer } from './hooks.js';
import { readJsonlLog, type TrainRecord } from './jsonl-log.js';
import type { LossDict, ModelStep, StepContext } from './loss-dict.js';
import { ProgressLine } from './progress.js';
import type { StepSource } from './step-source.js';
import { SimpleTrainer } from './train-loop.js';

class TwoWeights extends Module {
  readonly w: tf.Variable;
  constructor(init: [number, number]) {
    super();
    this.w = this.registerParameter('w', tf.tensor1d(init));
  }
}

interface Xy {
  x: number[][];
  t: number[];
}

/** Micro-batch m of step s: two rows, a function of (s, m) only; NaN targets at `nanStep`. */
function batchOf(s: number, m: number, nanStep?: number): Xy {
  const a = s + 1;
  const b = m + 1;
  return { x: [[a, b], [b, -a]], t: s === nanStep ? [NaN, 0] : [a - b, 1] };
}

const REG = 0.05;

/** loss_fit = mean((x·w − t)²), loss_reg = REG·Σw². */
class LeastSquares implements ModelStep<Xy> {
  constructor(private readonly model: TwoWeights) {}
  losses(b: Xy, _ctx: StepContext): LossDict {
    const pred = tf.matMul(tf.tensor2d(b.x), tf.reshape(this.model.w, [2, 1]));
    const fit = tf.mean(tf.square(tf.sub(tf.reshape(pred, [-1]), tf.tensor1d(b.t)))) as tf.Scalar;
    return { loss_fit: fit, loss_reg: tf.mul(REG, tf.sum(tf.square(this.model.w))) as tf.Scalar };
  }
  batchSize(b: Xy): number {
    return b.x.length;
  }
}

function source(accumulate: number, nanStep?: number): StepSource<Xy> {
  return {
    accumulate,
    position: (step) => ({ epoch: Math.floor(step / 4), batchInEpoch: step % 4 }),
    async *steps(from, to) {
      for (let s = from; s < to; s++) yield { step: s, batches: Array.from({ length: accumulate }, (_, m) => batchOf(s, m, nanStep)) };
    },
  };
}

/** Hand gradients: d fit/dw = (2/n)·Σ(x·w − t)·x, d reg/dw = 2·REG·w. */
function handStep(w: number[], batches: Xy[], lr: number): { w: number[]; fit: number; reg: number } {
  const g = [0, 0];
  let fit = 0;
  let reg = 0;
  for (const b of batches) {
    const n = b.x.length;
    let f = 0;
    for (let i = 0; i < n; i++) {
      const r = b.x[i][0] * w[0] + b.x[i][1] * w[1] - b.t[i];
      f += (r * r) / n;
      for (let j = 0; j < 2; j++) g[j] += ((2 / n) * r * b.x[i][j]) / batches.length;
    }
    fit += f / batches.length;
    reg += (REG * (w[0] * w[0] + w[1] * w[1])) / batches.length;
    for (let j = 0; j < 2; j++) g[j] += (2 * REG * w[j]) / batches.length;
  }
  return { w: [w[0] - lr * g[0], w[1] - lr * g[1]], fit, reg };
}

const quiet = () => new ProgressLine({ write: () => true, isTTY: false }, 1e9);
let dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'tfv-engine-'));
  dirs.push(d);
  return d;
};

function trainer(outDir: string, o: { accumulate?: number; totalSteps: number; stopAfterStep?: number; resume?: boolean; nanStep?: number; init?: [number, number]; hooks?: Hook[]; metrics?: number[] }) {
  const model = new TwoWeights(o.init ?? [0.5, -0.25]);
  const optimizer = new Sgd([{ name: 'w', variable: model.w, weightDecay: 0 }], { momentum: 0.9 });
  const t = new SimpleTrainer(source(o.accumulate ?? 1, o.nanStep), { outDir, totalSteps: o.totalSteps, stopAfterStep: o.stopAfterStep, resume: o.resume, configHash: 'h', dataSeed: 0, progress: quiet(), model, modelStep: new LeastSquares(model), optimizer, checkTensorCount: true });
  const metrics = o.metrics ?? [];
  t.registerHooks([
    new LrScheduleHook((s) => 0.01 / (1 + s)),
    ...(o.hooks ?? []),
    new JsonlLogHook(),
    new EvalHook(async (step) => ({ metrics: { acc: metrics[step - 1] }, summary: `acc ${metrics[step - 1]}` }), 1),
    new BestCheckpointHook('acc'),
    new PeriodicCheckpointer(1, 2),
  ]);
  return { t, model, dispose: () => (optimizer.dispose(), model.dispose()) };
}

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});
afterEach(() => {
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  dirs = [];
});

describe('SimpleTrainer', () => {
  it('applies SGD to the gradient of the loss-dict sum, averaged over accumulated micro-batches', async () => {
    const out = tempDir();
    // Momentum 0.9 from zero buffers: the first update is lr·g, the second lr·(g2 + 0.9·g1).
    const { t, model, dispose } = trainer(out, { accumulate: 2, totalSteps: 2, metrics: [0, 0] });
    const before = tf.memory().numTensors;
    await t.run();
    expect(tf.memory().numTensors).toBe(before);
    const s0 = handStep([0.5, -0.25], [batchOf(0, 0), batchOf(0, 1)], 0.01);
    const g0 = [(0.5 - s0.w[0]) / 0.01, (-0.25 - s0.w[1]) / 0.01];
    const s1 = handStep(s0.w, [batchOf(1, 0), batchOf(1, 1)], 0.005);
    const g1 = [(s0.w[0] - s1.w[0]) / 0.005, (s0.w[1] - s1.w[1]) / 0.005];
    const want = [s0.w[0] - 0.005 * (g1[0] + 0.9 * g0[0]), s0.w[1] - 0.005 * (g1[1] + 0.9 * g0[1])];
    const w = Array.from(model.w.dataSync());
    expect(w[0]).toBeCloseTo(want[0], 5);
    expect(w[1]).toBeCloseTo(want[1], 5);
    const train = readJsonlLog(join(out, 'log.jsonl')).filter((r): r is TrainRecord => r.type === 'train');
    expect(train.map((r) => r.lr)).toEqual([0.01, 0.005]);
    expect(train[0].losses.loss_fit).toBeCloseTo(s0.fit, 4);
    expect(train[0].losses.loss_reg).toBeCloseTo(s0.reg, 6);
    expect(train[1].loss).toBeCloseTo(s1.fit + s1.reg, 4);
    expect(train[0].epoch).toBe(0);
    dispose();
  });

  it('runs hooks in order, keeps the best checkpoint with its metric in the state, and resumes it', async () => {
    const out = tempDir();
    const events: string[] = [];
    const spy: Hook = {
      beforeTrain: () => void events.push('beforeTrain'),
      beforeStep: (t) => void events.push(`beforeStep ${t.step} lr ${t.lr}`),
      afterStep: (t) => void events.push(`afterStep ${t.step}`),
      afterTrain: () => void events.push('afterTrain'),
    };
    const metrics = [0.2, 0.5, 0.3, 0.4];
    const full = trainer(tempDir(), { totalSteps: 4, metrics });
    const uninterrupted = await full.t.run();
    full.dispose();
    const a = trainer(out, { totalSteps: 4, stopAfterStep: 2, metrics, hooks: [spy] });
    await a.t.run();
    a.dispose();
    expect(events).toEqual(['beforeTrain', 'beforeStep 0 lr 0.01', 'afterStep 1', 'beforeStep 1 lr 0.005', 'afterStep 2', 'afterTrain']);
    const best = JSON.parse(readFileSync(join(out, 'checkpoints', 'best', 'trainer.json'), 'utf8'));
    expect(best).toMatchObject({ step: 2, best: { metric: 'acc', value: 0.5, step: 2 } });
    // Another initialisation: weights, momentum and the best metric come from the checkpoint.
    const b = trainer(out, { totalSteps: 4, resume: true, metrics, init: [3, 3] });
    const r = await b.t.run();
    b.dispose();
    expect(r.startStep).toBe(2);
    expect(r.losses).toEqual(uninterrupted.losses.slice(2));
    expect(r.best).toEqual({ metric: 'acc', value: 0.5, step: 2 });
    const latest = JSON.parse(readFileSync(join(out, 'checkpoints', 'step-00000004', 'trainer.json'), 'utf8'));
    expect(latest.best).toEqual({ metric: 'acc', value: 0.5, step: 2 });
    expect(JSON.parse(readFileSync(join(out, 'checkpoints', 'best', 'trainer.json'), 'utf8')).step).toBe(2);
    const evals = readJsonlLog(join(out, 'log.jsonl')).filter((x) => x.type === 'eval');
    expect(evals.map((e) => [e.step, e.metrics.acc])).toEqual([[1, 0.2], [2, 0.5], [3, 0.3], [4, 0.4]]);
  });

  it('stops before the update on a non-finite loss, naming the step, the losses and the last checkpoint; afterTrain still runs', async () => {
    const out = tempDir();
    let ended = false;
    const { t, model, dispose } = trainer(out, { totalSteps: 4, nanStep: 2, metrics: [0, 0, 0, 0], hooks: [{ afterTrain: () => void (ended = true) }] });
    const err = await t.run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect((err as NonFiniteLossError).step).toBe(3);
    expect((err as Error).message).toBe(
      `non-finite loss (NaN) at step 3/4 (epoch 0, batch 2); training stopped, weights not updated. Losses: {"loss_fit":null,"loss_reg":${(err as Error).message.match(/"loss_reg":([^}]+)/)?.[1]}}. Last good checkpoint: ${join(out, 'checkpoints', 'step-00000002')}`,
    );
    expect(ended).toBe(true);
    expect(existsSync(join(out, 'checkpoints', 'step-00000003'))).toBe(false);
    // The weights are those after step 2: the NaN step did not update them.
    const two = trainer(tempDir(), { totalSteps: 4, stopAfterStep: 2, metrics: [0, 0] });
    await two.t.run();
    expect(Array.from(model.w.dataSync())).toEqual(Array.from(two.model.w.dataSync()));
    two.dispose();
    dispose();
  });

  it('refuses a resume with no checkpoint or another config', async () => {
    const out = tempDir();
    const none = trainer(out, { totalSteps: 2, resume: true });
    await expect(none.t.run()).rejects.toThrow(`--resume: no checkpoint in ${join(out, 'checkpoints')} to resume from`);
    none.dispose();
  });
});
