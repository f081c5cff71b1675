/**
 * Regenerates the RoIHeads reference with torchvision (tools/reference/roi_heads.py) into a
 * temporary folder. It must agree with the committed fixture: exactly in structure, counts, labels
 * and draws, and floats within REFERENCE_DRIFT (how far torch's CPU kernels move between
 * machines). The fresh file's eval and training cases must match RoIHeads (keep order and labels
 * exactly, values to 1e-5).
 * Needs /usr/bin/python3 with torch and torchvision; skipped (with the reason) without them.
 * Run: TFVISION_SLOW=1 npx jest packages/heads/src/roi-heads/roi-heads.slow.test.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { referenceDifferences } from '../testing/reference-drift.js';
import { compareEval, compareTrain, fixtureFeatures, readRoIHeadsFixture } from './roi-heads-fixture.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(__dirname, '..', '..', 'tools', 'reference', 'roi_heads.py');
const COMMITTED = join(__dirname, '..', '..', 'fixtures', 'roi-heads.json');

const probe = spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
const reason = probe.error ? `${PYTHON} not found` : probe.status !== 0 ? `${PYTHON} cannot import torch and torchvision` : '';
const describeWithTorch = reason ? describe.skip : describe;

describeWithTorch(`RoIHeads against a freshly generated torchvision reference${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let dir = '';
  let fresh = '';
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', report: false });
    dir = mkdtempSync(join(tmpdir(), 'tfvision-roi-heads-'));
    fresh = join(dir, 'roi-heads.json');
    const run = spawnSync(PYTHON, [SCRIPT, '--out', fresh], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`roi_heads.py failed:\n${run.stderr}`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('agrees with the committed fixture', () => {
    const parse = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));
    expect(referenceDifferences(parse(fresh), parse(COMMITTED))).toEqual([]);
  });

  it('matches every eval and training case of the fresh reference', () => {
    const f = readRoIHeadsFixture(fresh);
    const features = fixtureFeatures(f);
    for (const c of f.eval) {
      const r = compareEval(f, c, features);
      console.log(`${c.name}: ${r.counts.join('+')} detections, worst boxes ${r.boxes.toExponential(2)}, scores ${r.scores.toExponential(2)}, masks ${Math.max(r.maskMeans, r.maskSamples).toExponential(2)}`);
      expect([r.counts, r.labelsEqual]).toEqual([r.refCounts, true]);
      expect(Math.max(r.boxes, r.scores, r.maskMeans, r.maskSamples)).toBeLessThan(1e-5);
    }
    for (const c of f.train) {
      const r = compareTrain(f, c, features);
      const worst = Math.max(...(['lossClassifier', 'lossBoxReg', 'lossMask'] as const).map((k) => Math.abs(r.losses[k] - c.losses[k]) / (Math.abs(c.losses[k]) || 1)));
      console.log(`${c.name}: losses ${JSON.stringify(r.losses)}, worst loss ${worst.toExponential(2)}, gradients ${r.grads.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-5);
      expect(r.grads).toBeLessThan(1e-5);
      expect(r.unusedDraws).toBe(0);
    }
    tf.dispose(Object.values(features));
  });
});
