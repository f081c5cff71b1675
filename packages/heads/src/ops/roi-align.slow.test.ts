/**
 * Regenerates the RoIAlign reference with torchvision (tools/reference/roi_align.py) into a
 * temporary folder: the committed seed must reproduce the committed fixture byte for byte, and
 * a fresh seed's cases must match roiAlign, MultiScaleRoIAlign and LevelMapper to 1e-5.
 * Needs /usr/bin/python3 with torch and torchvision; skipped (with the reason) without them.
 * Run: TFVISION_SLOW=1 npx jest packages/heads/src/ops/roi-align.slow.test.ts
 * (TFVISION_ROI_ALIGN_SEED=N replays a seed)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { LevelMapper } from './level-mapper.js';
import { MultiScaleRoIAlign } from './multi-scale-roi-align.js';
import { roiAlign } from './roi-align.js';
import { caseFeatures, caseRois, decodeFloat32, readRoiAlignFixture, relativeError, type RoiAlignFixture } from './roi-align-fixture.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(__dirname, '..', '..', 'tools', 'reference', 'roi_align.py');
const COMMITTED = join(__dirname, '..', '..', 'fixtures', 'roi-align.json');

const probe = spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
const reason = probe.error ? `${PYTHON} not found` : probe.status !== 0 ? `${PYTHON} cannot import torch and torchvision` : '';
const describeWithTorch = reason ? describe.skip : describe;

function generate(dir: string, seed: number): string {
  const out = join(dir, `roi-align-${seed}.json`);
  const run = spawnSync(PYTHON, [SCRIPT, out, '--seed', String(seed)], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`roi_align.py --seed ${seed} failed:\n${run.stderr}`);
  return out;
}

/** Largest forward and gradient errors over every case of a fixture. */
function worstErrors(fixture: RoiAlignFixture): { forward: number; gradient: number } {
  let forward = 0;
  let gradient = 0;
  for (const c of fixture.roiAlign) {
    tf.tidy(() => {
      const x = caseFeatures(c);
      const rois = caseRois(c);
      const dy = tf.tensor(decodeFloat32(c.dy), c.outputShape);
      const options = { outputSize: c.outputSize, spatialScale: c.spatialScale, samplingRatio: c.samplingRatio, aligned: c.aligned };
      const grad = tf.grad((f: tf.Tensor) => tf.sum(tf.mul(roiAlign(f as tf.Tensor4D, rois, options), dy)))(x);
      forward = Math.max(forward, relativeError(roiAlign(x, rois, options).dataSync(), decodeFloat32(c.output)));
      gradient = Math.max(gradient, relativeError(grad.dataSync(), decodeFloat32(c.grad)));
    });
  }
  for (const c of fixture.multiScale) {
    tf.tidy(() => {
      const features = Object.fromEntries(Object.entries(c.features).map(([n, f]) => [n, tf.tensor4d(decodeFloat32(f.data), f.shape)]));
      const boxes = c.boxes.map((b) => tf.tensor2d(b, [b.length / 4, 4]));
      const dy = tf.tensor(decodeFloat32(c.dy), c.outputShape);
      const pooler = new MultiScaleRoIAlign({ featmapNames: c.featureNames, outputSize: c.outputSize, samplingRatio: c.samplingRatio, levelMapper: c.mapper, aligned: c.aligned });
      forward = Math.max(forward, relativeError(pooler.forward(features, boxes, c.imageShapes).dataSync(), decodeFloat32(c.output)));
      const grads = tf.grads((...fs: tf.Tensor[]) => tf.sum(tf.mul(pooler.forward(Object.fromEntries(c.featureNames.map((n, i) => [n, fs[i] as tf.Tensor4D])), boxes, c.imageShapes), dy)))(c.featureNames.map((n) => features[n]));
      c.featureNames.forEach((n, i) => (gradient = Math.max(gradient, relativeError(grads[i].dataSync(), decodeFloat32(c.grads[n])))));
    });
  }
  return { forward, gradient };
}

describeWithTorch(`roiAlign against freshly generated torchvision references${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let dir = '';
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', report: false });
    dir = mkdtempSync(join(tmpdir(), 'tfvision-roi-align-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reproduces the committed fixture from its seed', () => {
    const committed = readRoiAlignFixture(COMMITTED) as RoiAlignFixture & { seed: number };
    expect(readFileSync(generate(dir, committed.seed), 'utf8')).toBe(readFileSync(COMMITTED, 'utf8'));
  });

  it('matches a fresh seed to 1e-5 (forward, gradients, levels)', () => {
    const seed = Number(process.env.TFVISION_ROI_ALIGN_SEED ?? 1 + Math.floor(Math.random() * 1e6));
    const fixture = readRoiAlignFixture(generate(dir, seed));
    const worst = worstErrors(fixture);
    console.log(`seed ${seed}: worst forward ${worst.forward.toExponential(2)}, gradient ${worst.gradient.toExponential(2)}`);
    expect(worst.forward).toBeLessThan(1e-5);
    expect(worst.gradient).toBeLessThan(1e-5);
    for (const variant of ['torchvision', 'detectron2', 'mmdet'] as const) {
      expect(Array.from(new LevelMapper(2, 5, { variant }).levels(fixture.levelMapper.boxes))).toEqual(fixture.levelMapper[variant]);
    }
  });
});
