/**
 * Regenerates the Cascade Mask R-CNN reference with detectron2 (tools/reference/cascade.py, into
 * a temp dir, with the full pasted masks) and compares the whole of it: every detection has a
 * partner (same label, IoU >= 0.995, score within 5e-6: see cascade-equivalence.test.ts for the
 * measured spread), and the partners' pasted masks agree within 2/255 on at least 99.9% of the
 * pixels (issue #15); the training losses within 1e-5. Skips cleanly when /usr/bin/python3 has
 * no torchvision or the detectron2, fvcore, yacs, iopath sources are absent (D2_SRC,
 * FVCORE_SRC, YACS_SRC, IOPATH_SRC; defaults /tmp/d2src, /tmp/fvcore_src, ...).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, readNpy } from '@tfvision/nn';
import { cascadeFixtureModel } from './cascade-fixture-model.js';
import { matchDetections, type CascadeFixture } from '../cascade/cascade-fixture.js';
import { rcnnImage } from '../testing/rcnn-images.js';

const PYTHON = '/usr/bin/python3';
const SOURCES: [string, string, string][] = [
  ['D2_SRC', '/tmp/d2src', 'detectron2'],
  ['FVCORE_SRC', '/tmp/fvcore_src', 'fvcore'],
  ['YACS_SRC', '/tmp/yacs_src', 'yacs'],
  ['IOPATH_SRC', '/tmp/iopath_src', 'iopath'],
];
const missing = SOURCES.filter(([env, def, pkg]) => !fs.existsSync(path.join(process.env[env] ?? def, pkg))).map(([env]) => env);
const hasTorch = spawnSync(PYTHON, ['-c', 'import torchvision'], { stdio: 'ignore' }).status === 0;
const reason = !hasTorch ? '/usr/bin/python3 cannot import torchvision' : missing.length ? `no detectron2 sources (${missing.join(', ')})` : '';

(reason ? describe.skip : describe)(`Cascade Mask R-CNN against a fresh detectron2 run${reason ? ` (skipped: ${reason})` : ''}`, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-ref-'));
  let fx: CascadeFixture;

  beforeAll(async () => {
    await initBackend({ backend: process.env.TFVISION_EQUIV_BACKEND ?? 'wasm', report: false });
    const script = path.join(__dirname, '..', '..', 'tools', 'reference', 'cascade.py');
    const run = spawnSync(PYTHON, [script, '--out', dir, '--full-masks', path.join(dir, 'masks')], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`cascade.py failed: ${run.stderr.trim().split('\n').pop()}`);
    fx = JSON.parse(fs.readFileSync(path.join(dir, 'cascade_mask_rcnn_resnet50_fpn.json'), 'utf8')) as CascadeFixture;
  }, 600000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('detections and full pasted masks (2/255 on 99.9% of pixels)', () => {
    const model = cascadeFixtureModel(fx);
    const images = fx.images.map((s) => rcnnImage(s));
    const dets = model.predict(images);
    dets.forEach((d, i) => {
      const { partner, unmatched } = matchDetections(d, fx.detections[i], 0.995, 5e-6);
      expect(unmatched).toEqual([]);
      const ref = readNpy(path.join(dir, 'masks', `masks${i}.npy`));
      const ours = (d.masks as tf.Tensor3D).dataSync();
      const [, h, w] = ref.shape;
      let off = 0;
      partner.forEach((j, k) => {
        for (let p = 0; p < h * w; p++) if (Math.abs(ours[j * h * w + p] - ref.data[k * h * w + p]) > 2 / 255) off++;
      });
      expect({ image: i, offShare: off / (partner.length * h * w) <= 1e-3 }).toEqual({ image: i, offShare: true });
    });
    for (const d of dets) tf.dispose([d.boxes, d.scores, d.labels, ...(d.masks ? [d.masks] : [])]);
    tf.dispose(images);
    model.dispose();
  });

  it('the regenerated losses equal the committed ones (the default test compares ours with those)', () => {
    const fresh = JSON.parse(fs.readFileSync(path.join(dir, 'training.json'), 'utf8')) as { losses: Record<string, number> };
    const committed = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'cascade', 'training.json'), 'utf8')) as { losses: Record<string, number> };
    for (const [k, v] of Object.entries(committed.losses)) expect({ k, close: Math.abs(fresh.losses[k] - v) <= 1e-6 * Math.abs(v) }).toEqual({ k, close: true });
  });
});
