/**
 * The full DeepLab comparison: the large presets against their committed fixtures, then the
 * generator (tools/reference/deeplab.py --full) rerun into a temporary folder, its summaries
 * equal to the committed ones within REFERENCE_DRIFT of the largest (torch's CPU kernels differ
 * between machines) and every logit of every head equal to ours to 1e-4 of the largest.
 * torchvision cases need /usr/bin/python3 with torch and torchvision; timm and smp cases also the
 * sources at TIMM_SRC (default /tmp/timm_src, holding timm/) and SMP_SRC (default /tmp/smp_src,
 * holding segmentation_models_pytorch/). Missing pieces skip the cases that need them, with the reason.
 * Run: TFVISION_SLOW=1 npx jest packages/heads/src/segmenters/deeplab.slow.test.ts
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { readHeadsFixture } from '../testing/fixture-compare.js';
import { REFERENCE_DRIFT } from '../testing/reference-drift.js';
import { DEEPLAB_CASES, LARGE_CASES, checkAgainstFixture, type DeeplabFixture } from './deeplab-fixture.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(__dirname, '..', '..', 'tools', 'reference', 'deeplab.py');
const TIMM_SRC = process.env.TIMM_SRC ?? '/tmp/timm_src';
const SMP_SRC = process.env.SMP_SRC ?? '/tmp/smp_src';

const probe = spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
const torchMissing = probe.error ? `${PYTHON} not found` : probe.status !== 0 ? `${PYTHON} cannot import torch and torchvision` : '';
const timmMissing = existsSync(join(TIMM_SRC, 'timm')) ? '' : `TIMM_SRC=${TIMM_SRC} has no timm/`;
const smpMissing = existsSync(join(SMP_SRC, 'segmentation_models_pytorch')) ? '' : `SMP_SRC=${SMP_SRC} has no segmentation_models_pytorch/`;

/** Why a case cannot be regenerated here ('' if it can). */
function missingFor(name: string): string {
  const needs = name === 'deeplabv3_resnet50' || name === 'deeplabv3_resnet101' ? [torchMissing] : name.startsWith('deeplabv3plus') ? [torchMissing, timmMissing, smpMissing] : [torchMissing, timmMissing];
  return needs.filter(Boolean).join('; ');
}

beforeAll(async () => {
  await initBackend({ backend: process.env.TFVISION_EQUIV_BACKEND ?? 'wasm', report: false });
});

describe.each(LARGE_CASES)('%s equals its committed reference', (name) => {
  it('names, shapes and sampled logits before and after upsampling', () => {
    const worst = checkAgainstFixture(readHeadsFixture<DeeplabFixture>(`deeplab/${name}.json`));
    expect(worst.relative).toBeLessThan(1e-4);
    expect(worst.sumsq).toBeLessThan(1e-4);
  });
});

describe('regenerated references, every logit', () => {
  const runnable = DEEPLAB_CASES.filter((c) => missingFor(c) === '');
  const skipped = DEEPLAB_CASES.filter((c) => missingFor(c) !== '');
  let dir = '';
  beforeAll(() => {
    if (runnable.length === 0) return;
    dir = mkdtempSync(join(tmpdir(), 'tfv-deeplab-'));
    const run = spawnSync(PYTHON, [SCRIPT, '--out', dir, '--full', ...runnable], { encoding: 'utf8', env: { ...process.env, TIMM_SRC, SMP_SRC }, maxBuffer: 1 << 26 });
    if (run.status !== 0) throw new Error(`deeplab.py failed:\n${run.stderr}`);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const name of skipped) it.skip(`${name} (skipped: ${missingFor(name)})`, () => undefined);

  it.each(runnable)('%s', (name) => {
    const fresh = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as DeeplabFixture;
    const committed = readHeadsFixture<DeeplabFixture>(`deeplab/${name}.json`);
    expect(fresh.stateDictKeys).toEqual(committed.stateDictKeys);
    fresh.cases.forEach((c, i) => {
      for (const head of ['outLow', 'out', 'auxLow', 'aux', 'decoder'] as const) {
        const a = c[head];
        const b = committed.cases[i][head];
        if (!a || !b) continue;
        expect(a.shape).toEqual(b.shape);
        a.values.forEach((v, j) => expect(Math.abs(v - b.values[j])).toBeLessThanOrEqual(REFERENCE_DRIFT * b.absmax));
      }
    });
    const before = tf.memory().numTensors;
    const worst = checkAgainstFixture(fresh);
    expect(tf.memory().numTensors).toBe(before);
    console.log(`${name}: worst |ours - ref| / max|ref| over every logit ${worst.relative.toExponential(2)}; ${worst.errors.map((e) => `${e.head} ${e.relative.toExponential(1)}`).join(', ')}`);
    expect(worst.relative).toBeLessThan(1e-4);
  });
});
