/**
 * Regenerates fixtures/rcnn-transform.json with torchvision (tools/reference/rcnn_transform.py,
 * Debian /usr/bin/python3) into a temp dir, checks it equals the committed one, and runs every
 * case against it. Skips when torchvision is not importable.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@tfvision/nn';
import { checkEvalCase, checkPostCase, checkTrainCase, loadRcnnTransformFixture, type RcnnTransformFixture } from './rcnn-transform-fixture.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(__dirname, '..', '..', 'tools', 'reference', 'rcnn_transform.py');
const hasTorchvision = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torchvision'], { stdio: 'ignore' }).status === 0;
const describeTorch = hasTorchvision ? describe : describe.skip;

if (!hasTorchvision) {
  describe('GeneralizedRCNNTransform against torchvision', () => {
    it.skip(`skipped: ${PYTHON} cannot import torchvision`, () => undefined);
  });
}

describeTorch('GeneralizedRCNNTransform against a fresh torchvision run', () => {
  let dir: string;
  let fresh: RcnnTransformFixture;

  beforeAll(async () => {
    await initBackend({ backend: 'cpu', report: false });
    dir = mkdtempSync(join(tmpdir(), 'tfvision-rcnn-transform-'));
    const out = join(dir, 'rcnn-transform.json');
    const r = spawnSync(PYTHON, [SCRIPT, out], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`rcnn_transform.py failed (${r.status}): ${r.stderr}`);
    fresh = loadRcnnTransformFixture(out);
  }, 300_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('matches the committed fixture', () => {
    const { reference: _fresh, ...freshRest } = fresh;
    const { reference: _committed, ...committedRest } = loadRcnnTransformFixture();
    expect(freshRest).toEqual(committedRest);
  });

  it('eval cases, including 427x640 -> 799x1199', () => fresh.eval.forEach((c) => expect(checkEvalCase(c, fresh)).toBeLessThanOrEqual(1e-5)), 300_000);
  it('training cases with the drawn min sizes, boxes and masks', () => fresh.train.forEach((c) => expect(checkTrainCase(c, fresh)).toBeLessThanOrEqual(1e-5)));
  it('postprocess', () => fresh.post.forEach((c) => expect(checkPostCase(c, fresh)).toBeLessThanOrEqual(1e-5)));
});
