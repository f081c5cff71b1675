import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../command.js';
import { dataCommand } from './data.js';

async function capture(argv: string[]): Promise<{ code: number; stdout: string }> {
  const write = process.stdout.write.bind(process.stdout);
  let stdout = '';
  process.stdout.write = ((chunk: string) => {
    stdout += chunk;
    return true;
  }) as typeof process.stdout.write;
  try {
    const code = await dataCommand.run(argv);
    return { code, stdout };
  } finally {
    process.stdout.write = write;
  }
}

describe('tfvision data', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfvision-data-cmd-'));

  it('synth writes a dataset that check reads back', async () => {
    const out = join(dir, 'synth');
    const made = await capture(['synth', '--out', out, '--images', '4', '--seed', '5', '--size', '64', '--json']);
    expect(made.code).toBe(0);
    const summary = JSON.parse(made.stdout);
    expect(summary.images).toBe(4);
    expect(summary.annotationFile).toBe(join(out, 'annotations.json'));
    const ds = JSON.parse(readFileSync(summary.annotationFile, 'utf8'));
    expect(ds.annotations).toHaveLength(summary.annotations);

    const checked = await capture(['check', summary.annotationFile, '--json']);
    expect(checked.code).toBe(0);
    const c = JSON.parse(checked.stdout);
    expect(c.annotations).toBe(summary.annotations);
    expect(Object.values(c.annotationsPerCategory as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(summary.annotations);
  });

  it('refuses missing or malformed options with a usage error', async () => {
    await expect(dataCommand.run(['synth', '--images', '3', '--seed', '1'])).rejects.toThrow(new UsageError('synth: --out is required'));
    await expect(dataCommand.run(['synth', '--out', dir, '--images', 'x', '--seed', '1'])).rejects.toThrow('synth: --images must be an integer in 1..1000000, got "x"');
    await expect(dataCommand.run(['synth', '--out', dir, '--images', '1e9', '--seed', '1'])).rejects.toThrow(new UsageError('synth: --images must be an integer in 1..1000000, got "1e9"'));
    await expect(dataCommand.run(['synth', '--out', dir, '--images', '2', '--seed', '1.5'])).rejects.toThrow('synth: --seed must be an integer, got "1.5"');
    await expect(dataCommand.run(['frob'])).rejects.toThrow('unknown subcommand "frob" (known: synth, check)');
  });

  it('shows progress on stderr for large counts, ending at the full count', async () => {
    const write = process.stderr.write.bind(process.stderr);
    let stderr = '';
    process.stderr.write = ((chunk: string) => {
      stderr += chunk;
      return true;
    }) as typeof process.stderr.write;
    let made;
    try {
      // About 1 ms an image at 32 px: a few seconds, so at least one report a second.
      made = await capture(['synth', '--out', join(dir, 'many'), '--images', '3000', '--seed', '2', '--size', '32', '--json']);
    } finally {
      process.stderr.write = write;
    }
    expect(made.code).toBe(0);
    expect(JSON.parse(made.stdout).images).toBe(3000);
    const reports = [...stderr.matchAll(/^synth: (\d+)\/3000 images \(\d+%, \d+\/s( ETA \d+ s)?\)$/gm)].map((m) => Number(m[1]));
    expect(reports.length).toBeGreaterThan(0);
    expect(reports.every((n, i) => n >= 0 && n <= 3000 && (i === 0 || n >= reports[i - 1]))).toBe(true);
  }, 60_000);

  it('check reports validation problems with paths', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ images: [], categories: [], annotations: [{ id: 1, image_id: 3, category_id: 1, bbox: [0, 0, 1, 1], area: 1, iscrowd: 0 }] }));
    await expect(dataCommand.run(['check', bad])).rejects.toThrow(`${bad}: not a valid COCO instances file: 2 problems\n  annotations[0].image_id: no image with id 3`);
  });
});
