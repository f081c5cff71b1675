/**
 * Regenerates the random case with tools/seg_metrics_reference.py (numpy, /usr/bin/python3) into
 * a temporary folder and compares SegmentationMetrics with it; also checks that the committed
 * fixture is what the generator writes. Skips, saying why, without numpy.
 * Run: TFVISION_SLOW=1 node node_modules/jest/bin/jest.js packages/eval/src/segmentation
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mismatches, ourReport, readSegFixture } from '../testing/seg-metrics-case.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(__dirname, '..', '..', 'tools', 'seg_metrics_reference.py');
const hasNumpy = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;

(hasNumpy ? describe : describe.skip)(`seg_metrics_reference.py regenerated${hasNumpy ? '' : ' (skipped: /usr/bin/python3 cannot import numpy)'}`, () => {
  it('reproduces the committed fixture and ours equals it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tfv-seg-metrics-'));
    try {
      const out = join(dir, 'case.json');
      const run = spawnSync(PYTHON, [SCRIPT, out], { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`seg_metrics_reference.py failed: ${run.stderr}`);
      const fresh = readSegFixture(out);
      expect(fresh).toEqual(readSegFixture());
      expect(mismatches(ourReport(fresh), fresh, 1e-15)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
