/**
 * Regenerates fixtures/rpn.json with torchvision (tools/reference/rpn.py, Debian /usr/bin/python3)
 * into a temp dir, checks it agrees with the committed one (exactly in structure, counts and draws;
 * floats within the drift of torch's CPU kernels between machines, see REFERENCE_DRIFT) and runs
 * every case on the fresh run. Skips when torchvision is not importable.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@tfvision/nn';
import { REFERENCE_DRIFT, referenceDifferences } from '../testing/reference-drift.js';
import { checkRpnCase, loadRpnFixture, RPN_TOLERANCE, type RpnFixture } from './__tests__/rpn-fixture.js';
import { torchTopkIndices } from './torch-topk.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(__dirname, '..', '..', 'tools', 'reference', 'rpn.py');
const hasTorchvision = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torchvision'], { stdio: 'ignore' }).status === 0;
const describeTorch = hasTorchvision ? describe : describe.skip;

if (!hasTorchvision) {
  describe('RegionProposalNetwork against torchvision', () => {
    it.skip(`skipped: ${PYTHON} cannot import torchvision`, () => undefined);
  });
}

describeTorch('RegionProposalNetwork against a fresh torchvision run', () => {
  let dir: string;
  let fresh: RpnFixture;

  beforeAll(async () => {
    await initBackend({ backend: 'cpu', report: false });
    dir = mkdtempSync(join(tmpdir(), 'tfvision-rpn-'));
    const out = join(dir, 'rpn.json');
    const r = spawnSync(PYTHON, [SCRIPT, '--out', out], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`rpn.py failed (${r.status}): ${r.stderr}`);
    fresh = loadRpnFixture(out);
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('agrees with the committed fixture', () => {
    const { reference: _fresh, ...freshRest } = fresh;
    const { reference: _committed, ...committedRest } = loadRpnFixture();
    expect(referenceDifferences(freshRest, committedRest)).toEqual([]);
  });

  it('topk rows', () => {
    for (const c of fresh.topk) expect(Array.from(torchTopkIndices(Float32Array.from(c.values), c.k))).toEqual(c.indices);
  });

  it('every eval and training case', () => {
    for (const c of fresh.cases) checkRpnCase(fresh, c, RPN_TOLERANCE + REFERENCE_DRIFT);
  }, 300_000);
});
