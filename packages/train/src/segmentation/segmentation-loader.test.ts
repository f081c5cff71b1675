import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSyntheticCoco } from '@tfvision/coco';
import { Rng } from '../rng.js';
import type { DataSplitConfig } from '../config/common-specs.js';
import { SegmentationSet } from './segmentation-data.js';
import { SegmentationLoader, type SegmentationBatch, type SegmentationLoaderOptions } from './segmentation-loader.js';
import { normaliseInto, segmentationTrainAugment } from './segmentation-transforms.js';

let root: string;
let split: DataSplitConfig;
let set: SegmentationSet;
const options: SegmentationLoaderOptions = { batchSize: 2, seed: 6, scale: [24, 40], cropSize: 24, flipProb: 0.5, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tfvision-seg-loader-'));
  const synth = await generateSyntheticCoco({ outDir: join(root, 'synth'), images: 9, seed: 2, size: 40, colors: 'category' });
  split = { annotations: join(root, 'synth', 'annotations.json'), images: synth.imageDir };
  set = await SegmentationSet.open(split);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const hex = (a: Float32Array | Int32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
const bytes = (b: SegmentationBatch) => `${b.indices.join(',')}|${hex(b.images)}|${hex(b.labels)}`;

async function run(loader: SegmentationLoader, from: number, to: number): Promise<string[]> {
  const out: string[] = [];
  for await (const { batches } of loader.steps(from, to)) out.push(...batches.map(bytes));
  return out;
}

describe('SegmentationLoader on the step loader', () => {
  it('augments position p of epoch e with stream (e, p + 1) and normalises to the model\'s mean/std', async () => {
    const loader = new SegmentationLoader(set, options);
    const batch = await loader.batch(loader.batchesPerEpoch); // epoch 1, positions 0 and 1
    const order = new Rng(6).fork(1).shuffle(Array.from({ length: set.length }, (_, i) => i));
    expect(batch.indices).toEqual(order.slice(0, 2));
    const { image, label } = segmentationTrainAugment(await set.get(order[1]), options, new Rng(6).fork(1).fork(2));
    const want = new Float32Array(24 * 24 * 3);
    normaliseInto(image, options.mean, options.std, want);
    expect(hex(batch.images.subarray(24 * 24 * 3))).toBe(hex(want));
    expect(Array.from(batch.labels.subarray(24 * 24))).toEqual(Array.from(label.data));
  });

  const built = existsSync(fileURLToPath(new URL('../../dist/segmentation/segmentation-recipe.js', import.meta.url)));
  // Worker threads run the compiled package (npx tsc -p packages/train/tsconfig.build.json).
  (built ? it : it.skip)('gives bit-identical batches with 2 worker threads as in-process, also when resuming (needs dist/)', async () => {
    const inProcess = await run(new SegmentationLoader(set, { ...options, accumulate: 2 }), 0, 5);
    const threaded = new SegmentationLoader(set, { ...options, accumulate: 2, workers: 2, workerSource: { split, options: {} } });
    try {
      expect(await run(threaded, 0, 5)).toEqual(inProcess);
      expect(await run(threaded, 3, 5)).toEqual(inProcess.slice(6));
    } finally {
      await threaded.close();
    }
  });
});
