import { join } from 'node:path';
import { initBackend } from '../backend.js';
import { mismatch, readJsonFixture, referenceTorchAvailable, regenerateFixture } from '../testing/torch-reference.js';
import { maxDeviation, runGroupNormCase, type GroupNormFixture } from '../testing/group-norm-cases.js';

/**
 * Regenerates the GroupNorm fixture with torch (tools/reference/losses.py group-norm) and
 * checks ours against the fresh values, and that the committed fixture is what it writes today.
 */
const GENERATOR = join(__dirname, '../../tools/reference/losses.py');
const available = referenceTorchAvailable();
const describeTorch = available ? describe : describe.skip;
const title = available ? 'GroupNorm against a freshly generated torch reference' : 'GroupNorm against torch (skipped: /usr/bin/python3 cannot import torchvision)';

describeTorch(title, () => {
  let fresh: GroupNormFixture;
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', report: false });
    fresh = regenerateFixture<GroupNormFixture>(GENERATOR, ['group-norm']);
  });

  it('matches the committed fixture exactly', () => {
    expect(fresh).toEqual(readJsonFixture<GroupNormFixture>(join(__dirname, 'testdata', 'group-norm.json')));
  });

  it('every case: output and input gradient, to float64 and to float32 torch', () => {
    const failures: string[] = [];
    for (const c of fresh.groupNorm) {
      const ours = runGroupNormCase(c);
      const bad =
        mismatch(ours.y, c.yFloat64, { atol: 1e-5 }) ??
        mismatch(ours.y, c.y, { atol: 1e-5 + maxDeviation(c.y, c.yFloat64) }) ??
        mismatch(ours.gradX, c.gradXFloat64, { atol: 1e-5, rtol: 1e-4 });
      if (bad) failures.push(`${c.name}: ${bad}`);
    }
    expect(failures).toEqual([]);
  });
});
