/**
 * Regenerates fixtures/anchors-masks.json with torchvision (tools/reference/anchors_masks.py,
 * Debian /usr/bin/python3) into a temp dir and compares every case, including the big ones the
 * default tests leave out. Skips when torchvision is not importable.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@tfvision/nn';
import { checkAnchorCase, checkInterpolateCase, checkPasteCase, checkResizeGrid, loadFixture, type AnchorsMasksFixture } from './__tests__/anchors-masks-fixture.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(__dirname, '..', '..', 'tools', 'reference', 'anchors_masks.py');
const hasTorchvision = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torchvision'], { stdio: 'ignore' }).status === 0;
const describeTorch = hasTorchvision ? describe : describe.skip;

if (!hasTorchvision) {
  describe('anchors, interpolate, paste masks against torchvision', () => {
    it.skip(`skipped: ${PYTHON} cannot import torchvision`, () => undefined);
  });
}

describeTorch('anchors, interpolate, paste masks against a fresh torchvision run', () => {
  let dir: string;
  let fresh: AnchorsMasksFixture;

  beforeAll(async () => {
    await initBackend({ backend: 'cpu', report: false });
    dir = mkdtempSync(join(tmpdir(), 'tfvision-anchors-masks-'));
    const out = join(dir, 'anchors-masks.json');
    const r = spawnSync(PYTHON, [SCRIPT, out], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`anchors_masks.py failed (${r.status}): ${r.stderr}`);
    fresh = loadFixture(out);
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('matches the committed fixture', () => {
    const { reference: _fresh, ...freshRest } = fresh;
    const { reference: _committed, ...committedRest } = loadFixture();
    expect(freshRest).toEqual(committedRest);
  });

  it('anchors', () => fresh.anchors.forEach(checkAnchorCase));
  it('interpolate, including 427x640 -> 799x1199', () => fresh.interpolate.forEach((c) => checkInterpolateCase(c)), 300_000);
  it('resize rule grids', () => fresh.resizeGrids.forEach(checkResizeGrid));
  it('paste masks', () => fresh.paste.forEach((c) => checkPasteCase(c)));
});
