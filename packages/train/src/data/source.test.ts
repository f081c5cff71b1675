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
    // Evenly spaced: samples 0 and 3 of the 6, one per class.
    expect((await limited.dataset.get(1)).label).toBe(1);
    await expect(limited.dataset.get(2)).rejects.toThrow('dataset index 2 is outside 0..1');
    expect(() => buildTransform([{ op: 'blur' } as never])).toThrow("transform[0].op: unknown step 'blur'");
    const ev = buildTransform([{ op: 'resizeShortCenterCrop', crop: 8, cropPct: 0.875 }]);
    // short side 16 -> floor(8 / 0.875) = 9, then the centre 8x8.
    expect([ev(img, new Rng(0)).height, ev(img, new Rng(0)).width]).toEqual([8, 8]);
  });

  const fmnist = existsSync('/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz');
  (fmnist ? it : it.skip)('Fashion-MNIST training pipeline: padded random crop + flip, 1-channel batches (skips without the data)', async () => {
    const { dataset, transform } = createLoaderSource({
      dataset: { kind: 'fashion-mnist', split: 'train', limit: 600 },
      transform: [{ op: 'randomCrop', size: 28, padding: 4 }, { op: 'randomHorizontalFlip' }],
    });
    const dl = new DataLoader(dataset, { batchSize: 128, shuffle: true, dropLast: true, seed: 0, transform, mean: [0.286], std: [0.353] });
    const batches = await collect(dl.epoch(0));
    expect(batches.map((b) => [b.n, b.height, b.width, b.channels])).toEqual(new Array(4).fill([128, 28, 28, 1]));
    const counts = new Array<number>(10).fill(0);
    for (const b of batches) for (const y of b.labels) counts[y]++;
    expect(counts.every((c) => c > 20)).toBe(true);
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
