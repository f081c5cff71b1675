/**
 * Regenerates the box-ops fixture with torchvision 0.14 (Debian's /usr/bin/python3) from a seed
 * other than the committed one's, into a temporary folder, and runs every op's checks on it:
 * fresh random boxes, ties and edge cases each time the seed changes. Skips when torchvision is
 * not importable. Run with TFVISION_SLOW=1.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@tfvision/nn';
import { loadBoxOpsFixture, type BoxOpsFixture } from './__tests__/box-fixture.js';
import { checkBatchedNms, checkBoxCoder, checkBoxOps, checkMatcher, checkNms, checkSampler, checkSortProbes, checkSyntheticBatchedNms } from './__tests__/box-checks.js';

const PYTHON = '/usr/bin/python3';
const GENERATOR = join(__dirname, '..', '..', 'tools', 'reference', 'box_ops.py');
const SEED = Number(process.env.TFVISION_BOX_OPS_SEED ?? 1);
const hasTorchvision = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torchvision'], { stdio: 'ignore' }).status === 0;
const describeTorchvision = hasTorchvision ? describe : describe.skip;

if (!hasTorchvision) {
  describe('box ops against a regenerated torchvision fixture', () => {
    it.skip(`skipped: ${PYTHON} cannot import torchvision`, () => undefined);
  });
}

describeTorchvision(`box ops against a torchvision fixture regenerated with seed ${SEED}`, () => {
  let dir: string;
  let fx: BoxOpsFixture;
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', report: false });
    dir = mkdtempSync(join(tmpdir(), 'tfvision-box-ops-'));
    const out = join(dir, 'box-ops.json');
    const r = spawnSync(PYTHON, [GENERATOR, '--seed', String(SEED), '--out', out], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`box_ops.py --seed ${SEED} failed (${r.status}): ${r.stderr}`);
    fx = loadBoxOpsFixture(out);
  }, 120_000);
  afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('was generated with the requested seed', () => expect(fx.seed).toBe(SEED));
  it('box ops', () => checkBoxOps(fx.boxOps));
  it('BoxCoder', () => checkBoxCoder(fx.boxCoder));
  it('nms', () => checkNms(fx.nms));
  it('batchedNms, stored cases', () => checkBatchedNms(fx.batchedNms));
  it('batchedNms, regenerated large cases', () => checkSyntheticBatchedNms(fx.syntheticBatchedNms));
  it('torch CPU sort order', () => checkSortProbes(fx.sortProbes));
  it('Matcher', () => checkMatcher(fx.matcher));
  it('BalancedPositiveNegativeSampler with injected randperms', () => checkSampler(fx.sampler));
});
