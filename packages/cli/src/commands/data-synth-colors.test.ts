import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSyntheticCoco } from '@tfvision/coco';
import { UsageError } from '../command.js';
import { dataCommand } from './data.js';

async function quiet(argv: string[]): Promise<number> {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await dataCommand.run(argv);
  } finally {
    process.stdout.write = write;
  }
}

describe('tfvision data synth --colors / --max-occlusion', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfvision-synth-colors-'));

  it('writes what generateSyntheticCoco writes with the same options', async () => {
    const out = join(dir, 'cli');
    expect(await quiet(['synth', '--out', out, '--images', '5', '--seed', '3', '--size', '64', '--colors', 'random', '--max-occlusion', '0.3'])).toBe(0);
    const direct = await generateSyntheticCoco({ outDir: join(dir, 'direct'), images: 5, seed: 3, size: 64, colors: 'random', maxOcclusion: 0.3 });
    expect(readFileSync(join(out, 'annotations.json'), 'utf8')).toBe(readFileSync(direct.annotationFile, 'utf8'));
    expect(direct.dataset.info).toMatchObject({ colors: 'random', maxOcclusion: 0.3 });
  });

  it('refuses bad values with one line naming the flag', async () => {
    const base = ['synth', '--out', dir, '--images', '1', '--seed', '1'];
    await expect(dataCommand.run([...base, '--colors', 'blue'])).rejects.toThrow(new UsageError('synth: --colors must be "category" or "random", got "blue"'));
    await expect(dataCommand.run([...base, '--max-occlusion', '2'])).rejects.toThrow(new UsageError('synth: --max-occlusion must be in 0..0.9, got 2'));
  });
});
