/**
 * Loader throughput: `node packages/train/dist/data/loader-bench.js [--images N] [--workers 0,2]
 * [--recipe imagenet|autoaugment|fmnist] [--batch B]`. The imagenet recipes write N synthetic
 * 500x375 JPEGs (ImageNet's typical size) to a temp folder and time decode + augmentation +
 * normalisation per epoch; fmnist times the Fashion-MNIST training pipeline from
 * /usr/share/datasets/fashion-mnist. Prints one JSON line per worker count.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { DataLoader } from './loader.js';
import { createLoaderSource, sourceWorkerFactory, type SourceSpec, type TransformStep } from './source.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

async function writeJpegs(root: string, n: number): Promise<void> {
  for (let c = 0; c < 4; c++) mkdirSync(join(root, `class${c}`));
  const w = 500, h = 375;
  for (let i = 0; i < n; i++) {
    const data = Buffer.alloc(w * h * 3);
    for (let p = 0; p < data.length; p++) data[p] = (Math.sin(p * 0.001 + i) * 100 + 128 + ((p * 7919) % 37)) & 255;
    await sharp(data, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toFile(join(root, `class${i % 4}`, `${i}.jpg`));
  }
}

const RECIPES: Record<string, TransformStep[]> = {
  imagenet: [
    { op: 'randomResizedCrop', size: 224, interpolation: 'bicubic' },
    { op: 'randomHorizontalFlip' },
    { op: 'colorJitter', brightness: 0.4, contrast: 0.4, saturation: 0.4 },
    { op: 'lighting', alphaStd: 0.1 },
  ],
  autoaugment: [
    { op: 'randomResizedCrop', size: 224, interpolation: 'bicubic' },
    { op: 'randomHorizontalFlip' },
    { op: 'autoAugment' },
  ],
  fmnist: [{ op: 'randomCrop', size: 28, padding: 4 }, { op: 'randomHorizontalFlip' }],
};

async function main(): Promise<void> {
  const recipe = arg('recipe', 'imagenet');
  const steps = RECIPES[recipe];
  if (!steps) throw new Error(`--recipe must be one of ${Object.keys(RECIPES).join(', ')}, got '${recipe}'`);
  const n = Number(arg('images', '128'));
  const batchSize = Number(arg('batch', recipe === 'fmnist' ? '256' : '32'));
  const workerCounts = arg('workers', '0,2').split(',').map(Number);
  let root: string | undefined;
  let spec: SourceSpec;
  if (recipe === 'fmnist') {
    spec = { dataset: { kind: 'fashion-mnist', split: 'train', limit: n }, transform: steps };
  } else {
    root = mkdtempSync(join(tmpdir(), 'loader-bench-'));
    await writeJpegs(root, n);
    spec = { dataset: { kind: 'image-folder', root }, transform: steps };
  }
  const mean = recipe === 'fmnist' ? [0.286] : [0.485, 0.456, 0.406];
  const std = recipe === 'fmnist' ? [0.353] : [0.229, 0.224, 0.225];
  try {
    for (const workers of workerCounts) {
      const { dataset, transform } = createLoaderSource(spec);
      const dl = new DataLoader(dataset, {
        batchSize, shuffle: true, dropLast: false, seed: 0, transform, mean, std, workers,
        workerFactory: workers > 0 ? sourceWorkerFactory(spec) : undefined,
      });
      // Epoch 0 warms up (worker start, JIT); epoch 1 is timed.
      for await (const b of dl.epoch(0)) void b;
      const t0 = performance.now();
      let images = 0;
      for await (const b of dl.epoch(1)) images += b.n;
      const s = (performance.now() - t0) / 1000;
      await dl.close();
      console.log(JSON.stringify({ recipe, workers, batchSize, images, seconds: Number(s.toFixed(3)), imagesPerSecond: Number((images / s).toFixed(1)) }));
    }
  } finally {
    if (root) rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
