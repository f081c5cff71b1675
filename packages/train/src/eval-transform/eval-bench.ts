/**
 * Evaluation preprocessing throughput: `node packages/train/dist/eval-transform/eval-bench.js
 * [--images N] [--workers 0,2] [--interpolation bilinear|bicubic] [--batch B]`. Writes N
 * synthetic JPEGs at ImageNet val's common sizes (500x375, 375x500, 500x333) to a temp folder
 * and times PIL-exact decoding + resize + centre crop + normalisation (timm's eval transform at
 * 224, crop_pct 0.875) through the DataLoader. One JSON line per worker count, with the
 * seconds a 50,000-image folder would take at that rate (model forward not included).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { DataLoader } from '../data/loader.js';
import { EvalDataset, evalWorkerFactory, listClassFolder } from './eval-dataset.js';
import { timmEvalCrop, type EvalTransformConfig } from './timm-eval-transform.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const SIZES: [number, number][] = [[375, 500], [500, 375], [333, 500]];

async function writeJpegs(root: string, n: number): Promise<void> {
  mkdirSync(join(root, 'c0'));
  for (let i = 0; i < n; i++) {
    const [h, w] = SIZES[i % SIZES.length];
    const data = Buffer.alloc(w * h * 3);
    for (let p = 0; p < data.length; p++) data[p] = (Math.sin(p * 0.001 + i) * 100 + 128 + ((p * 7919) % 37)) & 255;
    await sharp(data, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toFile(join(root, 'c0', `${i}.JPEG`));
  }
}

async function main(): Promise<void> {
  const n = Number(arg('images', '96'));
  const batchSize = Number(arg('batch', '32'));
  const interpolation = arg('interpolation', 'bicubic');
  if (interpolation !== 'bilinear' && interpolation !== 'bicubic') throw new Error(`eval-bench: --interpolation must be bilinear or bicubic, got ${interpolation}`);
  const cfg: EvalTransformConfig = { size: [224, 224], cropPct: 0.875, interpolation, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
  const root = mkdtempSync(join(tmpdir(), 'eval-bench-'));
  try {
    await writeJpegs(root, n);
    const listing = listClassFolder(root);
    for (const workers of arg('workers', '0,2').split(',').map(Number)) {
      const loader = new DataLoader(new EvalDataset(listing), {
        batchSize, shuffle: false, dropLast: false, seed: 0, workers, workerFactory: workers > 0 ? evalWorkerFactory({ listing, transform: cfg }) : undefined,
        transform: (img) => timmEvalCrop(img, cfg), mean: cfg.mean, std: cfg.std,
      });
      try {
        for await (const _ of loader.epoch(0)) void _; // warm-up pass (worker start, JIT)
        const t = performance.now();
        for await (const _ of loader.epoch(0)) void _;
        const seconds = (performance.now() - t) / 1000;
        process.stdout.write(`${JSON.stringify({ workers, batch: batchSize, interpolation, images: n, imagesPerSecond: n / seconds, secondsFor50000: (50000 * seconds) / n })}\n`);
      } finally {
        await loader.close();
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exitCode = 1;
});
