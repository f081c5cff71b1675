import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { Rng } from '../rng.js';
import { DataLoader } from './loader.js';
import { buildTransform, createLoaderSource, sourceWorkerFactory, type SourceSpec } from './source.js';
import type { Batch } from './types.js';

async function collect(it: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

describe('source specs', () => {
  let root: string;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'source-'));
    for (const [cls, shade] of [['a', 40], ['b', 160]] as const) {
      mkdirSync(join(root, cls));
      for (let k = 0; k < 3; k++) {
        const w = 20 + 6 * k;
        const data = Buffer.alloc(16 * w * 3);
        for (let i = 0; i < data.length; i++) data[i] = (shade + i * 13) % 256;
        await sharp(data, { raw: { width: w, height: 16, channels: 3 } }).png().toFile(join(root, cls, `${k}.png`));
      }
    }
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const spec = (): SourceSpec => ({
    dataset: { kind: 'image-folder', root },
    transform: [
      { op: 'randomResizedCrop', size: 8 },
      { op: 'randomHorizontalFlip' },
      { op: 'colorJitter', brightness: 0.4, contrast: 0.4, saturation: 0.4 },
      { op: 'lighting', alphaStd: 0.1 },
    ],
  });

  it('builds the dataset and a deterministic pipeline from plain data', async () => {
    const { dataset, transform } = createLoaderSource(spec());
    expect(dataset.length).toBe(6);
    const img = (await dataset.get(4)).image;
    const a = transform(img, new Rng(5));
    expect([a.height, a.width, a.channels]).toEqual([8, 8, 3]);
    expect(transform(img, new Rng(5))).toEqual(a);
    const limited = createLoaderSource({ ...spec(), dataset: { kind: 'image-folder', root, limit: 2 } });
    expect(limited.dataset.length).toBe(2);
    expect(() => buildTransform([{ op: 'blur' } as never])).toThrow("transform[0].op: unknown step 'blur'");
    const ev = buildTransform([{ op: 'resizeShortCenterCrop', crop: 8, cropPct: 0.875 }]);
    // short side 16 -> floor(8 / 0.875) = 9, then the centre 8x8.
    expect([ev(img, new Rng(0)).height, ev(img, new Rng(0)).width]).toEqual([8, 8]);
  });

  const built = existsSync(fileURLToPath(new URL('../../dist/data/source.js', import.meta.url)));
  (built ? it : it.skip)('worker threads built from the spec give the in-process batches (needs dist/)', async () => {
    const { dataset, transform } = createLoaderSource(spec());
    const base = { batchSize: 4, shuffle: true, dropLast: false, seed: 3, transform, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
    const expected = await collect(new DataLoader(dataset, base).epoch(1));
    const dl = new DataLoader(dataset, { ...base, workers: 2, workerFactory: sourceWorkerFactory(spec()) });
    try {
      expect(await collect(dl.epoch(1))).toEqual(expected);
    } finally {
      await dl.close();
    }
  });
});
