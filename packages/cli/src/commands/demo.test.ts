import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../command.js';
import { demoCommand } from './demo.js';

/** Runs the demo command, returning its exit status and what it printed. */
async function runCaptured(argv: string[]): Promise<{ status: number; out: string }> {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    const status = await demoCommand.run(argv);
    return { status, out: lines.join('') };
  } finally {
    spy.mockRestore();
  }
}

// A tiny run: 32 px images, a few steps. Its AP is not judged, only what it prints and how
// --min-ap50 turns the held-out AP50 into the exit status.
const TINY = ['--images', '4', '--held-out', '2', '--size', '32', '--backend', 'wasm'];
const AP_LINE = /bbox AP (\d+\.\d) AP50 (\d+\.\d) \| segm AP (\d+\.\d) AP50 (\d+\.\d)/;

describe('tfvision demo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfvision-demo-cmd-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses bad flags before any work', async () => {
    await expect(demoCommand.run(['--size', '31', '--out', join(dir, 'x')])).rejects.toThrow(new UsageError('--size must be an integer in 32..256, got 31'));
    await expect(demoCommand.run(['--steps', '0'])).rejects.toThrow(new UsageError('--steps must be an integer in 1..inf, got 0'));
    await expect(demoCommand.run(['--pretrain-steps', '-1'])).rejects.toThrow('--pretrain-steps must be an integer in 0..inf, got -1');
    await expect(demoCommand.run(['--min-ap50', '1.5'])).rejects.toThrow(new UsageError('--min-ap50 must be in 0..1, got 1.5'));
    await expect(demoCommand.run(['--backend', 'tpu', '--out', join(dir, 'tpu')])).rejects.toThrow(new UsageError('demo: --backend must be one of tensorflow, webgpu, wasm, cpu, got "tpu"'));
    await expect(demoCommand.run(['--size', '64', '--min-radius', '24'])).rejects.toThrow(new UsageError('--min-radius must be in 1..23.04 at --size 64, got 24'));
    await expect(demoCommand.run(['--max-objects', '0'])).rejects.toThrow(new UsageError('--max-objects must be an integer in 1..20, got 0'));
    await expect(demoCommand.run(['--max-occlusion', '0.95'])).rejects.toThrow(new UsageError('--max-occlusion must be in 0..0.9, got 0.95'));
    await expect(demoCommand.run(['extra'])).rejects.toThrow(new UsageError('demo: unexpected argument "extra"'));
    expect(existsSync(join(dir, 'x'))).toBe(false);
    expect(existsSync(join(dir, 'tpu'))).toBe(false);
  });

  it('pretrains on crops, fine-tunes, prints AP before and after, draws, and passes at --min-ap50 0 (exit 0)', async () => {
    const out = join(dir, 'pass');
    const r = await runCaptured([...TINY, '--steps', '2', '--pretrain-steps', '2', '--min-ap50', '0', '--out', out]);
    expect(r.out).toMatch(/^data: 4 training images \(\d+ objects\), 2 held-out images \(\d+ objects\), 32 px; shapes of radius >= 5 px, up to 15\.0% occluded, 1-4 shapes an image;/m);
    expect(r.out).toMatch(/^pretrain step +2\/2 +loss \d+\.\d{4}/m);
    expect(r.out).toMatch(/^pretrain: held-out crop top-1 \d+\.\d% over \d+ crops \(chance 20\.0%\)$/m);
    expect(r.out).toContain('backbone.body loaded from the crop classifier (150 tensors; left out: fc.weight, fc.bias)');
    const before = r.out.match(new RegExp(`^held-out before fine-tuning: ${AP_LINE.source}`, 'm'));
    const after = r.out.match(new RegExp(`^held-out after fine-tuning: +${AP_LINE.source}`, 'm'));
    expect(before).not.toBeNull();
    expect(after).not.toBeNull();
    expect(r.out).toMatch(/^fine-tune: 2 iterations of 4 images/m);
    expect(r.out).toMatch(new RegExp(`^result: held-out bbox AP50 ${after![2].replace('.', '\\.')} >= 0\\.0: PASS$`, 'm'));
    expect(r.status).toBe(0);
    for (const f of ['curves.png', 'log.jsonl', 'metrics.json', 'predictions/000001.png', 'predictions/000002.png']) expect(existsSync(join(out, f))).toBe(true);
  }, 240_000);

  it('fails (exit 1) when held-out bbox AP50 is below --min-ap50; --pretrain-steps 0 starts from random weights', async () => {
    const r = await runCaptured([...TINY, '--steps', '1', '--pretrain-steps', '0', '--min-radius', '6', '--max-objects', '2', '--max-occlusion', '0', '--min-ap50', '1', '--out', join(dir, 'fail')]);
    expect(r.out).toMatch(/^data: .* shapes of radius >= 6 px, up to 0\.0% occluded, 1-2 shapes an image;/m);
    expect(r.out).not.toContain('pretrain:');
    expect(r.out).toContain('parameters, random initialisation');
    expect(r.out).toMatch(/^result: held-out bbox AP50 \d+\.\d < 100\.0: FAIL$/m);
    expect(r.status).toBe(1);
  }, 240_000);
});
