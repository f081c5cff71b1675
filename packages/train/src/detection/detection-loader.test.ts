import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compose, generateSyntheticCoco, horizontalFlip, randomHorizontalFlip, resizeShortestEdge, type DetectionSample } from '@tfvision/coco';
import { Rng } from '../rng.js';
import type { DataSplitConfig } from '../config/common-specs.js';
import { DetectionTrainSet } from './detection-data.js';
import { DetectionLoader } from './detection-loader.js';

let root: string;
let split: DataSplitConfig;
let set: DetectionTrainSet;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tfvision-det-loader-'));
  const synth = await generateSyntheticCoco({ outDir: join(root, 'synth'), images: 10, seed: 5, size: 48, colors: 'random' });
  split = { annotations: join(root, 'synth', 'annotations.json'), images: synth.imageDir };
  set = await DetectionTrainSet.open(split, { masks: true });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const hex = (a: ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
const bytes = (samples: DetectionSample[]) => samples.map((s) => [s.imageId, hex(s.image.data), hex(s.boxes), hex(s.labels), ...(s.masks ?? []).map(hex)].join('|'));

async function run(loader: DetectionLoader, from: number, to: number): Promise<string[][]> {
  const out: string[][] = [];
  for await (const { samples } of loader.steps(from, to)) out.push(bytes(samples));
  return out;
}

describe('DetectionLoader on the step loader', () => {
  it('flips the sample at position p of epoch e when stream (e, p + 1)\'s first uniform is below flipProb', async () => {
    const loader = new DetectionLoader(set, { batchSize: 2, seed: 9, flipProb: 0.5 });
    const [a, b] = await loader.batch(loader.stepsPerEpoch + 1); // epoch 1, positions 2 and 3
    const order = new Rng(9).fork(1).shuffle(Array.from({ length: set.length }, (_, i) => i));
    for (const [k, got] of [a, b].entries()) {
      const plain = await set.get(order[2 + k]);
      const expected = new Rng(9).fork(1).fork(3 + k).next() < 0.5 ? horizontalFlip(plain) : plain;
      expect(bytes([got])).toEqual(bytes([expected]));
    }
  });

  it('with aspectGroups, every batch holds images of one aspect-ratio group (from the annotation file, no decoding)', async () => {
    const groups = set.aspectGroups();
    const images = new Map(set.dataset.coco.images.map((img) => [img.id, img]));
    expect(Array.from(groups)).toEqual(set.dataset.imageIds.map((id) => (images.get(id)!.width > images.get(id)!.height ? 1 : 0)));
    expect(new Set(groups).size).toBe(2); // the synthetic set has square and 4:3 images
    const loader = new DetectionLoader(set, { batchSize: 2, seed: 1, aspectGroups: groups });
    const n1 = groups.reduce((a, g) => a + g, 0);
    expect(loader.stepsPerEpoch).toBe(Math.floor(n1 / 2) + Math.floor((groups.length - n1) / 2));
    for (let step = 0; step < 2 * loader.stepsPerEpoch; step++) {
      const samples = await loader.batch(step);
      expect(new Set(samples.map((s) => (s.image.width > s.image.height ? 1 : 0))).size).toBe(1);
    }
    expect(() => new DetectionLoader(set, { batchSize: 2, seed: 1, aspectGroups: [0, 1] })).toThrow(`DetectionLoader: aspectGroups has 2 entries for ${set.length} training images`);
  });

  it('runs a composed @tfvision/coco transform on each sample with its position\'s generator', async () => {
    const transform = compose(resizeShortestEdge({ shortEdge: [24, 32] }), randomHorizontalFlip(0.5));
    const loader = new DetectionLoader(set, { batchSize: 2, seed: 9, transform });
    const got = await loader.batch(loader.stepsPerEpoch + 1); // epoch 1, positions 2 and 3
    const order = new Rng(9).fork(1).shuffle(Array.from({ length: set.length }, (_, i) => i));
    for (const [k, sample] of got.entries()) {
      const expected = await transform(await set.get(order[2 + k]), new Rng(9).fork(1).fork(3 + k));
      expect(Math.min(sample.image.width, sample.image.height)).toBe(Math.min(expected.image.width, expected.image.height));
      expect(bytes([sample])).toEqual(bytes([expected]));
    }
    expect(() => new DetectionLoader(set, { batchSize: 2, seed: 0, transform, flipProb: 0.5 })).toThrow('DetectionLoader: give flipProb or transform, not both');
    expect(() => new DetectionLoader(set, { batchSize: 2, seed: 0, transform, workers: 1, workerSource: { split, masks: true } })).toThrow('DetectionLoader: a custom transform runs in-process only');
  });

  it('refuses workers without the split to reopen', () => {
    expect(() => new DetectionLoader(set, { batchSize: 2, seed: 0, workers: 1 })).toThrow('DetectionLoader: workers > 0 needs options.workerSource');
  });

  const built = existsSync(fileURLToPath(new URL('../../dist/detection/detection-recipe.js', import.meta.url)));
  // Worker threads run the compiled package (npx tsc -p packages/train/tsconfig.build.json).
  (built ? it : it.skip)('gives bit-identical samples with 2 worker threads as in-process, also when resuming (needs dist/)', async () => {
    const inProcess = await run(new DetectionLoader(set, { batchSize: 2, seed: 3 }), 0, 7);
    const threaded = new DetectionLoader(set, { batchSize: 2, seed: 3, workers: 2, workerSource: { split, masks: true } });
    try {
      expect(await run(threaded, 0, 7)).toEqual(inProcess);
      expect(await run(threaded, 5, 7)).toEqual(inProcess.slice(5));
    } finally {
      await threaded.close();
    }
  });
});
