/**
 * The label maps, transforms and loader of segmentation training against hand-worked values:
 * RLE instances rasterised by torchvision's rule (overlaps and crowds 255, unused categories
 * background), PIL-nearest label resizing, flips, 255-padded crops, the scale range, and a
 * loader whose batches are a function of (seed, step).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { CocoAnnotation, CocoDataset } from '@tfvision/coco';
import { Rng } from '../rng.js';
import { SegmentationSet, type SegmentationSample } from './segmentation-data.js';
import { SegmentationLoader } from './segmentation-loader.js';
import { normaliseInto, randomCropLabelled, randomFlipLabelled, randomResizeLabelled, resizeNearestLabel, shorterSideSize, segmentationTrainAugment, type LabelledImage } from './segmentation-transforms.js';
import { SemanticLabels, VOC_COCO_CATEGORY_IDS } from './semantic-labels.js';
import { hasEnoughAnnotation, semanticTarget } from './semantic-target.js';

// A 4 x 5 image (h x w); uncompressed RLE counts are column-major (index x * 4 + y).
const H = 4;
const W = 5;
const rle = (counts: number[]) => ({ size: [H, W] as [number, number], counts });
const ann = (id: number, category_id: number, counts: number[], iscrowd: 0 | 1 = 0, area = 4): CocoAnnotation => ({ id, image_id: 1, category_id, bbox: [0, 0, 1, 1], area, iscrowd, segmentation: rle(counts) });
const ANNS: CocoAnnotation[] = [
  ann(1, 1, [0, 2, 2, 2, 14]), // A: x 0..1, y 0..1
  ann(2, 3, [5, 2, 2, 2, 9]), // B: x 1..2, y 1..2 (overlaps A at x 1, y 1)
  ann(3, 1, [16, 4], 1), // crowd: x 4, every row
  ann(4, 7, [15, 1, 4], 0, 1), // C: x 3, y 3
];
const CATEGORIES = [1, 3, 7].map((id) => ({ id, name: `cat${id}` }));

describe('semanticTarget', () => {
  it('paints classes, ignores overlaps and crowds, and leaves unused categories background', () => {
    const labels = new SemanticLabels(CATEGORIES, [3, 1]);
    expect(labels.names).toEqual(['background', 'cat3', 'cat1']);
    expect(Array.from(semanticTarget(ANNS, H, W, labels))).toEqual([
      2, 2, 0, 0, 255,
      2, 255, 1, 0, 255,
      0, 1, 1, 0, 255,
      0, 0, 0, 0, 255,
    ]);
  });

  it('numbers categories by id when no order is given', () => {
    const labels = new SemanticLabels(CATEGORIES);
    expect(labels.numClasses).toBe(4);
    const map = semanticTarget(ANNS, H, W, labels);
    expect([map[0], map[2 * W + 1], map[3 * W + 3]]).toEqual([1, 2, 3]);
  });

  it('filters training images by used annotated area as torchvision (> minArea)', () => {
    const labels = new SemanticLabels(CATEGORIES, [3, 1]);
    // Used: A 4 + B 4 + crowd 4 = 12; C (category 7) does not count.
    expect(hasEnoughAnnotation(ANNS, labels, 11)).toBe(true);
    expect(hasEnoughAnnotation(ANNS, labels, 12)).toBe(false);
    expect(hasEnoughAnnotation([ANNS[3]], labels, 0)).toBe(false);
  });

  it('names a category id missing from the dataset', () => {
    expect(() => new SemanticLabels(CATEGORIES, [3, 9])).toThrow('SemanticLabels: category id 9 (class 2) is not among the dataset\'s categories [1, 3, 7]');
    expect(VOC_COCO_CATEGORY_IDS).toHaveLength(20);
  });
});

/** An image whose pixel (y, x) is (y, x, 7) and a label whose value is y * w + x. */
function ramp(h: number, w: number): LabelledImage {
  const image = { data: new Uint8Array(h * w * 3), height: h, width: w, channels: 3 as const };
  const label = { data: new Uint8Array(h * w), height: h, width: w, channels: 1 as const };
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      image.data.set([y, x, 7], (y * w + x) * 3);
      label.data[y * w + x] = y * w + x;
    }
  }
  return { image, label };
}

describe('segmentation transforms', () => {
  it('flips image and label together (p = 1), and not at all at p = 0', () => {
    const s = ramp(2, 3);
    const f = randomFlipLabelled(s, 1, new Rng(1));
    expect(Array.from(f.label.data)).toEqual([2, 1, 0, 5, 4, 3]);
    expect(Array.from(f.image.data.subarray(0, 3))).toEqual([0, 2, 7]);
    expect(randomFlipLabelled(s, 0, new Rng(1))).toBe(s);
  });

  it('pads a small image to the crop with 0 (image) and 255 (label) at the bottom and right', () => {
    const c = randomCropLabelled(ramp(2, 3), 4, new Rng(3));
    expect([c.image.height, c.image.width, c.label.height, c.label.width]).toEqual([4, 4, 4, 4]);
    expect(Array.from(c.label.data)).toEqual([0, 1, 2, 255, 3, 4, 5, 255, 255, 255, 255, 255, 255, 255, 255, 255]);
    expect(Array.from(c.image.data.subarray(3 * 3, 4 * 3))).toEqual([0, 0, 0]);
    expect(Array.from(c.image.data.subarray(4 * 3 + 2 * 3, 4 * 3 + 3 * 3))).toEqual([1, 2, 7]);
  });

  it('crops a window whose label matches the image pixel by pixel', () => {
    const c = randomCropLabelled(ramp(9, 11), 4, new Rng(5));
    const top = c.image.data[0];
    const left = c.image.data[1];
    expect(top).toBeLessThanOrEqual(5);
    expect(left).toBeLessThanOrEqual(7);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) expect(c.label.data[y * 4 + x]).toBe((top + y) * 11 + left + x);
  });

  it('draws the shorter side uniformly from the scale range, both ends included', () => {
    const seen = new Set<number>();
    for (let seed = 0; seed < 60; seed++) {
      const r = randomResizeLabelled(ramp(10, 20), 8, 12, new Rng(seed));
      expect(r.image.height).toBe(r.label.height);
      expect(r.image.width).toBe(2 * r.image.height);
      seen.add(r.image.height);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([8, 9, 10, 11, 12]);
  });

  it("sizes the longer side as torchvision's int(size * long / short)", () => {
    expect(shorterSideSize(427, 640, 520)).toEqual([520, 779]);
    expect(shorterSideSize(640, 427, 260)).toEqual([389, 260]);
  });

  it('resizes labels by the source pixel under each output centre (PIL nearest), never blending', () => {
    const label = { data: Uint8Array.from([1, 2, 3, 4]), height: 2, width: 2, channels: 1 as const };
    expect(Array.from(resizeNearestLabel(label, 4, 4).data)).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    const big = ramp(4, 4).label;
    expect(Array.from(resizeNearestLabel(big, 2, 2).data)).toEqual([5, 7, 13, 15]);
  });

  it("resizes labels exactly as PIL's Image.resize(NEAREST) (fixtures/pil-nearest.json)", () => {
    const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'pil-nearest.json'), 'utf8')) as { cases: { h: number; w: number; outH: number; outW: number; label: number[]; resized: number[] }[] };
    for (const c of fixture.cases) {
      const r = resizeNearestLabel({ data: Uint8Array.from(c.label), height: c.h, width: c.w, channels: 1 }, c.outH, c.outW);
      expect(Array.from(r.data)).toEqual(c.resized);
    }
  });

  it('normalises to (x / 255 - mean) / std', () => {
    const out = new Float32Array(3);
    normaliseInto({ data: Uint8Array.from([255, 0, 51]), height: 1, width: 1, channels: 3 }, [0.5, 0.5, 0.1], [0.25, 0.5, 0.1], out);
    expect(Array.from(out).map((v) => +v.toFixed(5))).toEqual([2, -1, 1]);
  });

  it('keeps only labels that exist in the source after the full training preset', () => {
    const s = ramp(6, 6);
    const out = segmentationTrainAugment(s, { scale: [4, 9], cropSize: 5, flipProb: 0.5 }, new Rng(11));
    expect(out.label.data.length).toBe(25);
    for (const v of out.label.data) expect(v === 255 || (v >= 0 && v < 36)).toBe(true);
  });
});

/** In-memory samples: image i is filled with i, its label with i % 3. */
class MemorySource {
  readonly length: number;
  constructor(n: number) {
    this.length = n;
  }
  async get(i: number): Promise<SegmentationSample> {
    const h = 6 + (i % 3);
    const w = 8;
    return { imageId: i, fileName: `${i}.png`, image: { data: new Uint8Array(h * w * 3).fill(i), height: h, width: w, channels: 3 }, label: { data: new Uint8Array(h * w).fill(i % 3), height: h, width: w, channels: 1 } };
  }
}

describe('SegmentationLoader', () => {
  const options = { batchSize: 2, seed: 7, scale: [5, 9] as [number, number], cropSize: 6, flipProb: 0.5, mean: [0, 0, 0], std: [1, 1, 1] };

  it('gives each step the same batch, whatever loaded before it (exact resume)', async () => {
    const a = new SegmentationLoader(new MemorySource(7), options);
    const b = new SegmentationLoader(new MemorySource(7), options);
    expect(a.batchesPerEpoch).toBe(3);
    const run: { step: number; labels: number[]; images: number[] }[] = [];
    for await (const { step, batches: [batch] } of a.steps(0, 7)) run.push({ step, labels: Array.from(batch.labels), images: Array.from(batch.images) });
    const resumed = [];
    for await (const { step, batches: [batch] } of b.steps(4, 7)) resumed.push({ step, labels: Array.from(batch.labels), images: Array.from(batch.images) });
    expect(resumed).toEqual(run.slice(4));
    // Step 3 trains epoch 1's first batch: a different draw from epoch 0's.
    expect(run[3].images).not.toEqual(run[0].images);
  });

  it('visits every image once per epoch and draws a new order each epoch', async () => {
    const loader = new SegmentationLoader(new MemorySource(6), options);
    const seen = (await Promise.all([0, 1, 2].map((s) => loader.batch(s)))).flatMap((b) => b.indices);
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(loader.order(1)).not.toEqual(loader.order(0));
    const batch = await loader.batch(0);
    expect(batch.images.length).toBe(2 * 36 * 3);
    // Every non-ignored label of image i is i % 3; its pixels are i / 255 (mean 0, std 1).
    batch.indices.forEach((i, j) => {
      for (const v of batch.labels.subarray(j * 36, (j + 1) * 36)) expect(v === 255 || v === i % 3).toBe(true);
    });
  });

  it('gives step s of accumulate A the micro-batches s·A .. s·A + A - 1', async () => {
    const plain = new SegmentationLoader(new MemorySource(7), options);
    const accumulated = new SegmentationLoader(new MemorySource(7), { ...options, accumulate: 2 });
    // Step 2's first micro-batch is run batch 4: epoch 1, its batch 1 (step 0 of that epoch).
    expect(accumulated.batchPosition(4)).toEqual({ epoch: 1, batchInEpoch: 1 });
    expect(accumulated.position(2)).toEqual({ epoch: 1, batchInEpoch: 0 });
    const got = [];
    for await (const { batches } of accumulated.steps(1, 2)) got.push(...batches.map((b) => b.indices));
    expect(got).toEqual([(await plain.batch(2)).indices, (await plain.batch(3)).indices]);
  });

  it('refuses a batch larger than the set', () => {
    expect(() => new SegmentationLoader(new MemorySource(1), options)).toThrow('SegmentationLoader: batchSize 2 exceeds the 1 training images');
  });
});

describe('SegmentationSet', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'seg-set-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('decodes the image and rasterises its annotations, skipping images under minAnnotatedArea', async () => {
    const pixels = Buffer.alloc(H * W * 3, 40);
    await sharp(pixels, { raw: { width: W, height: H, channels: 3 } }).png().toFile(join(dir, 'a.png'));
    await sharp(pixels, { raw: { width: W, height: H, channels: 3 } }).png().toFile(join(dir, 'b.png'));
    const coco: CocoDataset = {
      images: [{ id: 1, width: W, height: H, file_name: 'a.png' }, { id: 2, width: W, height: H, file_name: 'b.png' }],
      annotations: ANNS,
      categories: CATEGORIES,
    } as CocoDataset;
    writeFileSync(join(dir, 'ann.json'), JSON.stringify(coco));
    const set = await SegmentationSet.open({ annotations: join(dir, 'ann.json'), images: dir }, { categories: [3, 1], minAnnotatedArea: 0 });
    expect([set.length, set.skippedImages]).toEqual([1, 1]);
    const s = await set.get(0);
    expect([s.imageId, s.image.width, s.image.height, s.image.data[0]]).toEqual([1, W, H, 40]);
    expect(Array.from(s.label.data.subarray(W, 2 * W))).toEqual([2, 255, 1, 0, 255]);
  });
});
