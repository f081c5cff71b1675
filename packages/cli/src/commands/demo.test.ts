import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from '../command.js';
import { demoCommand } from './demo.js';

const BIN = resolve(__dirname, '../../dist/bin.js');

describe('tfvision demo arguments are checked before any work', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfvision-demo-cmd-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an unknown model is a usage error before data is generated', async () => {
    const out = join(dir, 'unknown-model');
    await expect(demoCommand.run(['--model', 'resnet999', '--out', out])).rejects.toThrow(new UsageError('demo: unknown model "resnet999" (did you mean resnet18, resnet26, resnet34, resnet50, resnet101?); `tfvision model list` shows all 53'));
    expect(existsSync(out)).toBe(false);
  });

  it('--size below what a 32x-downsampling backbone takes, or above the bound, is refused', async () => {
    await expect(demoCommand.run(['--size', '1'])).rejects.toThrow(new UsageError('--size must be an integer in 32..256 (the backbones downsample 32x), got 1'));
    await expect(demoCommand.run(['--size', '31'])).rejects.toThrow('--size must be an integer in 32..256');
    await expect(demoCommand.run(['--size', '1024'])).rejects.toThrow('--size must be an integer in 32..256');
  });

  it('--steps 1 cannot show a falling loss: a usage error naming the minimum; --backend tpu is refused', async () => {
    await expect(demoCommand.run(['--steps', '1'])).rejects.toThrow(new UsageError('--steps must be an integer >= 2 (the demo compares the mean loss of the first and last quarter of its steps), got 1'));
    await expect(demoCommand.run(['--backend', 'tpu', '--out', join(dir, 'tpu')])).rejects.toThrow(new UsageError('demo: --backend must be one of tensorflow, webgpu, wasm, cpu, got "tpu"'));
    expect(existsSync(join(dir, 'tpu'))).toBe(false);
  });

  // The built CLI on wasm: the cpu backend takes minutes for the ResNeSt grouped convolutions.
  (existsSync(BIN) ? it : it.skip)('the smallest run, --steps 2, trains and its loss falls (exit 0)', () => {
    const r = spawnSync(process.execPath, [BIN, 'demo', '--steps', '2', '--images', '8', '--seed', '0'], { encoding: 'utf8', env: { ...process.env, TFVISION_BACKEND: 'wasm' }, timeout: 120_000 });
    const losses = [...r.stdout.matchAll(/^step +\d\/2 +loss (\d+\.\d+)/gm)].map((m) => Number(m[1]));
    expect(losses).toHaveLength(2);
    expect(losses[1]).toBeLessThan(losses[0]);
    expect(r.stdout).toContain('(falling)');
    expect(r.status).toBe(0);
  }, 120_000);
});
