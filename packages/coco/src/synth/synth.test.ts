import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { rleFrPoly } from '../mask/poly.js';
import { decodeRle, rleArea } from '../mask/rle.js';
import { readCocoFile } from '../read.js';
import type { Polygons, RleUncompressed } from '../types.js';
import { generateSyntheticCoco } from './generate.js';
import { SeededRandom } from './prng.js';

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

describe('generateSyntheticCoco', () => {
  const root = mkdtempSync(join(tmpdir(), 'tfvision-synth-'));

  it('is byte-identical for the same seed and differs for another', async () => {
    const a = await generateSyntheticCoco({ outDir: join(root, 'a'), images: 6, seed: 7, size: 64 });
    const b = await generateSyntheticCoco({ outDir: join(root, 'b'), images: 6, seed: 7, size: 64 });
    const c = await generateSyntheticCoco({ outDir: join(root, 'c'), images: 6, seed: 8, size: 64 });
    expect(sha256(a.annotationFile)).toBe(sha256(b.annotationFile));
    expect(sha256(a.annotationFile)).not.toBe(sha256(c.annotationFile));
    const files = readdirSync(a.imageDir);
    expect(files).toEqual(['000001.png', '000002.png', '000003.png', '000004.png', '000005.png', '000006.png']);
    for (const f of files) expect(sha256(join(a.imageDir, f))).toBe(sha256(join(b.imageDir, f)));
  });

  it('writes a file the validator accepts, with crowds, all categories and all COCO size ranges', async () => {
    const out = await generateSyntheticCoco({ outDir: join(root, 'big'), images: 40, seed: 1, size: 160 });
    const ds = await readCocoFile(out.annotationFile);
    expect(ds.images).toHaveLength(40);
    expect(ds.categories.map((c) => c.name)).toEqual(['circle', 'square', 'triangle', 'hexagon', 'star']);
    const anns = ds.annotations;
    expect(new Set(anns.map((a) => a.category_id)).size).toBe(5);
    expect(anns.some((a) => a.iscrowd === 1)).toBe(true);
    const plain = anns.filter((a) => a.iscrowd === 0);
    expect(plain.some((a) => a.area < 32 * 32)).toBe(true);
    expect(plain.some((a) => a.area >= 32 * 32 && a.area < 96 * 96)).toBe(true);
    expect(plain.some((a) => a.area >= 96 * 96)).toBe(true);
  });

  it('stores true mask areas and paints exactly the masked pixels', async () => {
    const out = await generateSyntheticCoco({ outDir: join(root, 'px'), images: 3, seed: 3, size: 64 });
    const img = out.dataset.images[0];
    const { data } = await sharp(join(out.imageDir, img.file_name)).raw().toBuffer({ resolveWithObject: true });
    for (const ann of out.dataset.annotations.filter((a) => a.image_id === img.id)) {
      let mask: Uint8Array;
      if (ann.iscrowd) {
        const rle = ann.segmentation as RleUncompressed;
        mask = decodeRle({ h: rle.size[0], w: rle.size[1], counts: Uint32Array.from(rle.counts) });
      } else {
        const rle = rleFrPoly((ann.segmentation as Polygons)[0], img.height, img.width);
        expect(rleArea(rle)).toBe(ann.area);
        mask = decodeRle(rle);
      }
      expect(mask.reduce((s, v) => s + v, 0)).toBe(ann.area);
      // All pixels of one instance share one colour.
      const first = mask.indexOf(1);
      for (let p = 0; p < mask.length; p++) {
        if (mask[p]) expect([data[p * 3], data[p * 3 + 1], data[p * 3 + 2]]).toEqual([data[first * 3], data[first * 3 + 1], data[first * 3 + 2]]);
      }
    }
  });

  it('refuses bad options', async () => {
    await expect(generateSyntheticCoco({ outDir: root, images: 0, seed: 1 })).rejects.toThrow('images must be a positive integer, got 0');
    await expect(generateSyntheticCoco({ outDir: root, images: 1, seed: 1, size: 8 })).rejects.toThrow('size must be an integer in 32..4096, got 8');
  });
});

describe('SeededRandom', () => {
  it('repeats its sequence for a seed and stays in range', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b.next()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
    const ints = new Set(Array.from({ length: 200 }, () => a.int(2, 4)));
    expect([...ints].sort()).toEqual([2, 3, 4]);
  });
});
