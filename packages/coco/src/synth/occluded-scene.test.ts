import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { segmentationToRle } from '../mask/segmentation.js';
import { decodeRle, rleArea, rleToBbox } from '../mask/rle.js';
import { readCocoFile } from '../read.js';
import type { CocoImage } from '../types.js';
import { generateSyntheticCoco, type SyntheticCoco } from './generate.js';
import { generateOccludedScene } from './occluded-scene.js';
import { SeededRandom } from './prng.js';

const root = mkdtempSync(join(tmpdir(), 'tfvision-synth-occ-'));
const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

async function pixelsOf(out: SyntheticCoco, img: CocoImage): Promise<Buffer> {
  return (await sharp(join(out.imageDir, img.file_name)).raw().toBuffer({ resolveWithObject: true })).data;
}

/** The colour of each non-crowd instance (its first visible pixel) with its category. */
async function instanceColors(out: SyntheticCoco): Promise<{ category: number; rgb: number[] }[]> {
  const res: { category: number; rgb: number[] }[] = [];
  for (const img of out.dataset.images) {
    const px = await pixelsOf(out, img);
    for (const a of out.dataset.annotations.filter((x) => x.image_id === img.id && x.iscrowd === 0)) {
      const mask = decodeRle(segmentationToRle(a.segmentation!, img.height, img.width));
      const p = mask.indexOf(1);
      res.push({ category: a.category_id, rgb: [px[p * 3], px[p * 3 + 1], px[p * 3 + 2]] });
    }
  }
  return res;
}

/** Accuracy of the nearest-category-mean-colour classifier fitted on the same instances. */
function colorLookupAccuracy(xs: { category: number; rgb: number[] }[]): number {
  const means = new Map<number, number[]>();
  for (const c of new Set(xs.map((x) => x.category))) {
    const own = xs.filter((x) => x.category === c);
    means.set(c, [0, 1, 2].map((k) => own.reduce((s, x) => s + x.rgb[k], 0) / own.length));
  }
  let right = 0;
  for (const x of xs) {
    let best = -1;
    let bestD = Infinity;
    for (const [c, m] of means) {
      const d = Math.hypot(x.rgb[0] - m[0], x.rgb[1] - m[1], x.rgb[2] - m[2]);
      if (d < bestD) [best, bestD] = [c, d];
    }
    if (best === x.category) right++;
  }
  return right / xs.length;
}

describe('generateSyntheticCoco with random colours and occlusion', () => {
  let random: SyntheticCoco;
  beforeAll(async () => {
    random = await generateSyntheticCoco({ outDir: join(root, 'random'), images: 40, seed: 2, size: 96, colors: 'random' });
  });

  it('keeps the default output byte for byte (hash taken before the option existed)', async () => {
    const out = await generateSyntheticCoco({ outDir: join(root, 'default'), images: 30, seed: 5, size: 96 });
    const h = createHash('sha256').update(readFileSync(out.annotationFile));
    for (const f of readdirSync(out.imageDir).sort()) h.update(readFileSync(join(out.imageDir, f)));
    expect(h.digest('hex')).toBe('90c6d0cddbda7a215d68c42a4677ab764464accab73e305979ba3e61eb53aedc');
    expect(out.dataset.info?.colors).toBeUndefined();
  });

  it('is byte-identical for a seed, differs for another, and validates', async () => {
    const b = await generateSyntheticCoco({ outDir: join(root, 'random-b'), images: 40, seed: 2, size: 96, colors: 'random' });
    const c = await generateSyntheticCoco({ outDir: join(root, 'random-c'), images: 40, seed: 3, size: 96, colors: 'random' });
    expect(sha256(random.annotationFile)).toBe(sha256(b.annotationFile));
    expect(sha256(random.annotationFile)).not.toBe(sha256(c.annotationFile));
    for (const f of readdirSync(random.imageDir)) expect(sha256(join(random.imageDir, f))).toBe(sha256(join(b.imageDir, f)));
    const ds = await readCocoFile(random.annotationFile);
    expect(ds.info).toMatchObject({ colors: 'random', maxOcclusion: 0.4 });
    expect(new Set(ds.annotations.map((a) => a.category_id)).size).toBe(5);
    expect(ds.annotations.some((a) => a.iscrowd === 1)).toBe(true);
  });

  it('makes colour useless for the class: a colour lookup scores near chance (1/5), against ~1 by category', async () => {
    const randomColors = await instanceColors(random);
    expect(randomColors.length).toBeGreaterThan(100);
    expect(colorLookupAccuracy(randomColors)).toBeLessThan(0.4);
    const byCategory = await generateSyntheticCoco({ outDir: join(root, 'cat'), images: 20, seed: 2, size: 96 });
    expect(colorLookupAccuracy(await instanceColors(byCategory))).toBeGreaterThan(0.95);
  });

  it('annotates occluded instances by their visible pixels, painted in one colour', async () => {
    let occluded = 0;
    for (const img of random.dataset.images) {
      const px = await pixelsOf(random, img);
      const anns = random.dataset.annotations.filter((a) => a.image_id === img.id);
      const seen = new Uint8Array(img.width * img.height);
      for (const a of anns) {
        const rle = segmentationToRle(a.segmentation!, img.height, img.width);
        const mask = decodeRle(rle);
        expect(rleArea(rle)).toBe(a.area);
        if (!Array.isArray(a.segmentation)) {
          if (a.iscrowd === 0) occluded++;
          expect(a.bbox).toEqual(rleToBbox(rle));
        }
        if (a.iscrowd === 1) continue;
        const first = mask.indexOf(1);
        let overlaps = 0;
        let offColour = 0;
        for (let p = 0; p < mask.length; p++) {
          if (!mask[p]) continue;
          overlaps += seen[p]; // visible masks never overlap
          seen[p] = 1;
          if (px[p * 3] !== px[first * 3] || px[p * 3 + 1] !== px[first * 3 + 1] || px[p * 3 + 2] !== px[first * 3 + 2]) offColour++;
        }
        expect([overlaps, offColour]).toEqual([0, 0]);
      }
    }
    expect(occluded).toBeGreaterThan(5);
  });

  it('leaves every instance at least 1 - maxOcclusion visible, and none occluded at 0', () => {
    let occluded = 0;
    for (const maxOcclusion of [0.25, 0.6]) {
      const rng = new SeededRandom(9);
      for (let i = 0; i < 40; i++) {
        const scene = generateOccludedScene(rng, 64, { colors: 'random', maxOcclusion });
        scene.objects.forEach((o, k) => {
          const full = scene.fullAreas![k];
          expect(o.area).toBeGreaterThanOrEqual((1 - maxOcclusion) * full);
          if (o.area < full) occluded++;
          expect(Array.isArray(o.segmentation)).toBe(o.area === full && o.iscrowd === 0);
        });
      }
    }
    expect(occluded).toBeGreaterThan(10);
    const rng = new SeededRandom(9);
    for (let i = 0; i < 40; i++) {
      const scene = generateOccludedScene(rng, 64, { colors: 'random', maxOcclusion: 0 });
      scene.objects.forEach((o, k) => expect(o.area).toBe(scene.fullAreas![k]));
    }
  });

  it('minRadius sets the smallest shape: every circumradius (vertices about their mean) is at least it, and the default draws smaller', () => {
    // Occlusion 0 keeps every instance whole, so its polygon is the drawn shape.
    const radii = (minRadius?: number): number[] => {
      const rng = new SeededRandom(5);
      const out: number[] = [];
      for (let i = 0; i < 30; i++) {
        for (const o of generateOccludedScene(rng, 96, { colors: 'random', maxOcclusion: 0, minRadius }).objects) {
          if (o.iscrowd) continue;
          const xy = (o.segmentation as number[][])[0];
          const n = xy.length / 2;
          const cx = xy.filter((_, k) => k % 2 === 0).reduce((a, b) => a + b, 0) / n;
          const cy = xy.filter((_, k) => k % 2 === 1).reduce((a, b) => a + b, 0) / n;
          out.push(Math.max(...Array.from({ length: n }, (_, k) => Math.hypot(xy[2 * k] - cx, xy[2 * k + 1] - cy))));
        }
      }
      return out;
    };
    const wide = radii(10);
    expect(wide.length).toBeGreaterThan(40);
    expect(Math.min(...wide)).toBeGreaterThanOrEqual(10 - 0.02); // vertices are rounded to 2 decimals
    expect(Math.min(...radii())).toBeLessThan(6);
  });

  it('maxObjects caps the log-uniform shapes an image draws; the default (6) gives the same scenes as before', () => {
    // Occlusion 0 and no large first shape or crowd in the count: compare per-image non-crowd counts.
    const counts = (maxObjects?: number): number[] => {
      const rng = new SeededRandom(7);
      return Array.from({ length: 60 }, () => generateOccludedScene(rng, 96, { colors: 'random', maxOcclusion: 0, minRadius: 6, maxObjects }).objects.filter((o) => !o.iscrowd).length);
    };
    const one = counts(1);
    // At most one drawn shape plus the optional large one that some images start with.
    expect(Math.max(...one)).toBeLessThanOrEqual(2);
    expect(one.reduce((a, b) => a + b, 0) / one.length).toBeLessThan(1.4);
    expect(Math.max(...counts(6))).toBeGreaterThan(3);
    expect(counts(6)).toEqual(counts());
  });

  it('refuses bad options', async () => {
    await expect(generateSyntheticCoco({ outDir: root, images: 1, seed: 1, colors: 'random', maxObjects: 0 })).rejects.toThrow('generateSyntheticCoco: maxObjects must be an integer in 1..20, got 0');
    await expect(generateSyntheticCoco({ outDir: root, images: 1, seed: 1, maxObjects: 3 })).rejects.toThrow('generateSyntheticCoco: maxObjects applies to random-colour or occluded scenes (colors "random" or maxOcclusion > 0)');
    await expect(generateSyntheticCoco({ outDir: root, images: 1, seed: 1, colors: 'random', minRadius: 0.5 })).rejects.toThrow('generateSyntheticCoco: minRadius must be in [1, 46.08] (0.48 of the short side of a 128 px image), got 0.5');
    await expect(generateSyntheticCoco({ outDir: root, images: 1, seed: 1, minRadius: 8 })).rejects.toThrow('generateSyntheticCoco: minRadius applies to random-colour or occluded scenes (colors "random" or maxOcclusion > 0)');
    await expect(generateSyntheticCoco({ outDir: root, images: 1, seed: 1, maxOcclusion: 0.95 })).rejects.toThrow('generateSyntheticCoco: maxOcclusion must be in [0, 0.9], got 0.95');
    await expect(generateSyntheticCoco({ outDir: root, images: 1, seed: 1, colors: 'rainbow' as 'random' })).rejects.toThrow('generateSyntheticCoco: colors must be "category" or "random", got "rainbow"');
  });
});
