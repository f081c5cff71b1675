import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SYNTHETIC_FACTORY_SOURCE, syntheticSource } from './__tests__/synthetic-source.js';
import { DataLoader } from './loader.js';
import { epochOrder } from './sampling.js';
import type { Batch, LoaderOptions } from './types.js';

const MEAN = [0.5, 0.5, 0.5];
const STD = [0.25, 0.25, 0.25];

function loader(n: number, o: Partial<LoaderOptions> = {}): DataLoader {
  const { dataset, transform } = syntheticSource(n);
  return new DataLoader(dataset, { batchSize: 4, shuffle: true, dropLast: false, seed: 17, transform, mean: MEAN, std: STD, workers: 0, ...o });
}

async function collect(it: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

/** Normalised pixels of each dataset index seen in the batches. */
function bySample(batches: Batch[]): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (const b of batches) {
    const size = b.height * b.width * b.channels;
    for (let k = 0; k < b.n; k++) m.set(b.indices[k], Array.from(b.images.subarray(k * size, (k + 1) * size)));
  }
  return m;
}

describe('DataLoader (workers: 0)', () => {
  it('covers the epoch once in a seeded order, with the last partial batch unless dropLast', async () => {
    const dl = loader(10);
    expect(dl.batchesPerEpoch()).toBe(3);
    const bs = await collect(dl.epoch(0));
    expect(bs.map((b) => b.n)).toEqual([4, 4, 2]);
    const seen = bs.flatMap((b) => Array.from(b.indices));
    expect(seen).toEqual(Array.from(epochOrder(10, 17, 0, true)));
    expect(seen.slice().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(seen).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const b of bs) {
      expect([b.height, b.width, b.channels, b.images.length]).toEqual([2, 2, 3, b.n * 12]);
      expect(Array.from(b.labels)).toEqual(Array.from(b.indices, (i) => i % 2));
    }
    expect(loader(10, { dropLast: true }).batchesPerEpoch()).toBe(2);
    expect((await collect(loader(10, { dropLast: true }).epoch(0))).length).toBe(2);
    expect(Array.from((await collect(loader(10, { shuffle: false }).epoch(3)))[0].indices)).toEqual([0, 1, 2, 3]);
  });

  it('normalises as (x/255 - mean) / std', async () => {
    const dl = loader(3, { transform: (img) => img, batchSize: 3, shuffle: false });
    const [b] = await collect(dl.epoch(0));
    // Sample 1, pixel 0, channel 0 holds (1*7 + 0) % 256 = 7.
    expect(b.images[48]).toBeCloseTo((7 / 255 - 0.5) / 0.25, 6);
  });

  it('gives each sample the same augmentation whatever the batch size, and new ones per epoch', async () => {
    const a = bySample(await collect(loader(10, { batchSize: 4 }).epoch(2)));
    const b = bySample(await collect(loader(10, { batchSize: 3, shuffle: false }).epoch(2)));
    expect(a).toEqual(b);
    const other = bySample(await collect(loader(10).epoch(3)));
    expect(other).not.toEqual(a);
  });

  it('resuming at startBatch k yields the batches of the uninterrupted epoch from k on', async () => {
    const full = await collect(loader(10, { batchSize: 3 }).epoch(1));
    const resumed = await collect(loader(10, { batchSize: 3 }).epoch(1, 2));
    expect(resumed).toEqual(full.slice(2));
    expect(await collect(loader(10, { batchSize: 3 }).epoch(1, 4))).toEqual([]);
  });

  it('rejects bad options and images of different sizes with clear messages', async () => {
    expect(() => loader(4, { batchSize: 0 })).toThrow('DataLoader: batchSize must be a positive integer, got 0');
    expect(() => loader(4, { mean: [0.5], std: [0.2, 0.2] })).toThrow('DataLoader: mean and std must both have 1 or 3 numbers');
    expect(() => loader(4, { workers: 2 })).toThrow('DataLoader: workers > 0 needs options.workerFactory');
    expect(() => loader(4).epoch(0, 5)).toThrow('DataLoader: startBatch must be an integer in 0..1, got 5');
    const ragged = loader(4, { shuffle: false, transform: (img, rng) => (rng.next() < 2 && img.data[0] === 7 ? { data: new Uint8Array(3), height: 1, width: 1, channels: 3 } : img) });
    await expect(collect(ragged.epoch(0))).rejects.toThrow('DataLoader: sample 1 is 1x1x3 after the transform, but the batch is 4x4x3');
  });
});

const workerScript = fileURLToPath(new URL('../../dist/data/batch-worker.js', import.meta.url));
const haveBuild = existsSync(workerScript);
// Worker threads run compiled JavaScript, so this needs `npx tsc -p packages/train/tsconfig.build.json`;
// jest's in-process transform cannot serve .ts files to a worker.
(haveBuild ? describe : describe.skip)('DataLoader with worker threads (needs the built dist/; skipped when absent)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'loader-'));
    writeFileSync(join(dir, 'factory.mjs'), `export const createLoaderSource = ${SYNTHETIC_FACTORY_SOURCE};\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('produces the same batches with 2 workers as in-process, also when resuming', async () => {
    const factory = { module: join(dir, 'factory.mjs'), args: { n: 11 } };
    const inProcess = await collect(loader(11, { batchSize: 3 }).epoch(4));
    const dl = loader(11, { batchSize: 3, workers: 2, prefetch: 3, workerFactory: factory });
    try {
      expect(await collect(dl.epoch(4))).toEqual(inProcess);
      expect(await collect(dl.epoch(4, 2))).toEqual(inProcess.slice(2));
    } finally {
      await dl.close();
    }
  });

  it('passes a sample error from a worker to the consumer with its message', async () => {
    writeFileSync(join(dir, 'failing.mjs'), `export function createLoaderSource() {
  return {
    dataset: { length: 4, classes: ['x'], get: (i) => i === 2 ? Promise.reject(new Error('/data/x/2.jpg: cannot decode image')) : Promise.resolve({ image: { data: new Uint8Array(3), height: 1, width: 1, channels: 3 }, label: 0 }) },
    transform: (img) => img,
  };
}\n`);
    const dl = loader(4, { shuffle: false, batchSize: 2, workers: 1, workerFactory: { module: join(dir, 'failing.mjs') } });
    try {
      const it = dl.epoch(0)[Symbol.asyncIterator]();
      expect((await it.next()).value?.n).toBe(2);
      await expect(it.next()).rejects.toThrow('/data/x/2.jpg: cannot decode image');
    } finally {
      await dl.close();
    }
  });

  it('reports a factory that does not export the function', async () => {
    writeFileSync(join(dir, 'empty.mjs'), 'export const nothing = 1;\n');
    const dl = loader(4, { workers: 1, workerFactory: { module: join(dir, 'empty.mjs') } });
    try {
      await expect(collect(dl.epoch(0))).rejects.toThrow(`DataLoader: worker 0 could not build its dataset/transform: worker factory: ${join(dir, 'empty.mjs')} has no exported function 'createLoaderSource'`);
    } finally {
      await dl.close();
    }
  });
});
