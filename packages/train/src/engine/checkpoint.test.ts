/**
 * Atomic checkpoints against what a kill -9 leaves on disk: a half-written temporary directory
 * (and a torn latest.json temporary) from a dead process never counts as a checkpoint, and the
 * next save removes it; the pointer keeps naming the last complete checkpoint; the tensor count
 * is unchanged by a save and a load.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, Module } from '@tfvision/nn';
import { Sgd } from '../optim/index.js';
import { checkpointName, latestCheckpoint, loadCheckpoint, saveCheckpoint, type TrainerState } from './checkpoint.js';

class TwoWeights extends Module {
  readonly w: tf.Variable;
  constructor(init: [number, number]) {
    super();
    this.w = this.registerParameter('w', tf.tensor1d(init));
  }
}

const root = mkdtempSync(join(tmpdir(), 'tfvision-checkpoint-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

function stateAt(step: number): TrainerState {
  return { step, totalSteps: 10, epoch: 0, batchInEpoch: step, rngState: [step, 7], dataSeed: 3, configHash: 'h', best: null, savedAt: '2026-12-02T00:00:00.000Z' };
}

describe('saveCheckpoint after a kill -9', () => {
  it('ignores and then removes the temporaries a dead writer left; latest.json names the last complete checkpoint', async () => {
    const dir = join(root, 'ckpt');
    const model = new TwoWeights([1, 2]);
    const opt = new Sgd([{ name: 'w', variable: model.w, weightDecay: 0 }], { momentum: 0.9 });
    await saveCheckpoint(dir, model, opt, stateAt(2), 2);

    // A process (pid 999999) killed while writing step 4: its directory holds one of three files,
    // and its latest.json temporary is torn.
    const deadDir = join(dir, `.${checkpointName(4)}.999999.tmp`);
    mkdirSync(deadDir);
    writeFileSync(join(deadDir, 'model.safetensors'), Buffer.from([1, 2, 3]));
    writeFileSync(join(dir, '.latest.json.999999.k3x9a.tmp'), '{"checkpoint":"step-0000');
    // ... and one with this process's id (a container restarted with the same pid).
    mkdirSync(join(dir, `.${checkpointName(6)}.${process.pid}.tmp`));
    expect(latestCheckpoint(dir)).toBe(join(dir, checkpointName(2)));

    const moved = tf.tensor1d([5, 6]);
    model.w.assign(moved);
    moved.dispose();
    const before = tf.memory().numTensors;
    await saveCheckpoint(dir, model, opt, stateAt(4), 2);
    expect(tf.memory().numTensors).toBe(before);
    expect(readdirSync(dir).sort()).toEqual(['latest.json', checkpointName(2), checkpointName(4)]);
    expect(JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8'))).toEqual({ checkpoint: checkpointName(4), step: 4 });

    const restored = new TwoWeights([0, 0]);
    const opt2 = new Sgd([{ name: 'w', variable: restored.w, weightDecay: 0 }], { momentum: 0.9 });
    const loadedBefore = tf.memory().numTensors;
    const state = loadCheckpoint(latestCheckpoint(dir) as string, restored, opt2);
    expect(tf.memory().numTensors).toBe(loadedBefore);
    expect(state.step).toBe(4);
    expect(state.rngState).toEqual([4, 7]);
    expect(Array.from(restored.w.dataSync())).toEqual([5, 6]);
    for (const o of [opt, opt2]) o.dispose();
    for (const m of [model, restored]) m.dispose();
  });

  it('keeps the newest `keep` checkpoints and leaves files that are not temporaries alone', async () => {
    const dir = join(root, 'keep');
    const model = new TwoWeights([1, 2]);
    const opt = new Sgd([{ name: 'w', variable: model.w, weightDecay: 0 }], { momentum: 0 });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'notes.tmp'), 'mine');
    for (const step of [1, 2, 3]) await saveCheckpoint(dir, model, opt, stateAt(step), 2);
    expect(readdirSync(dir).sort()).toEqual(['latest.json', 'notes.tmp', checkpointName(2), checkpointName(3)]);
    expect(existsSync(join(dir, checkpointName(3), 'optimizer.safetensors'))).toBe(true);
    opt.dispose();
    model.dispose();
  });
});
