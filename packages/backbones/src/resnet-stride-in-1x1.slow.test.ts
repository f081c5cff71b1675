/**
 * Regenerates fixtures/stride-in-1x1.json with tools/make_stride_in_1x1.py (torch + torchvision,
 * /usr/bin/python3) into a temporary folder and checks the committed fixture is what it writes;
 * resnet-stride-in-1x1.test.ts compares our ResNet with that fixture. Skips, saying why, without
 * torchvision.
 * Run: TFVISION_SLOW=1 node node_modules/jest/bin/jest.js packages/backbones/src/resnet-stride-in-1x1
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(__dirname, '..', 'tools', 'make_stride_in_1x1.py');
const COMMITTED = join(__dirname, '..', 'fixtures', 'stride-in-1x1.json');
const hasTorchvision = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torchvision'], { stdio: 'ignore' }).status === 0;

interface Variant {
  movedBlocks: string[];
  numParameters: number;
  levels: Record<string, { shape: number[]; values: number[] }>;
}
type Fixture = Record<'strideIn3x3' | 'strideIn1x1', Variant> & { arch: unknown; input: unknown };

(hasTorchvision ? describe : describe.skip)(`make_stride_in_1x1.py regenerated${hasTorchvision ? '' : ' (skipped: /usr/bin/python3 cannot import torchvision)'}`, () => {
  it('writes the committed fixture (to 1e-6 of each level, another torch build may round differently)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tfv-stride-in-1x1-'));
    try {
      const out = join(dir, 'stride-in-1x1.json');
      const run = spawnSync(PYTHON, [SCRIPT, out], { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`make_stride_in_1x1.py failed: ${run.stderr}`);
      const fresh = JSON.parse(readFileSync(out, 'utf8')) as Fixture;
      const committed = JSON.parse(readFileSync(COMMITTED, 'utf8')) as Fixture;
      expect([fresh.arch, fresh.input]).toEqual([committed.arch, committed.input]);
      for (const key of ['strideIn3x3', 'strideIn1x1'] as const) {
        expect([fresh[key].movedBlocks, fresh[key].numParameters]).toEqual([committed[key].movedBlocks, committed[key].numParameters]);
        for (const [level, ref] of Object.entries(committed[key].levels)) {
          const got = fresh[key].levels[level];
          expect(got.shape).toEqual(ref.shape);
          const scale = Math.max(...ref.values.map(Math.abs));
          const diff = Math.max(...ref.values.map((v, i) => Math.abs(v - got.values[i])));
          expect(diff / scale).toBeLessThan(1e-6);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
