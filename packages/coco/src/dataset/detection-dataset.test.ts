import { mkdtempSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { generateSyntheticCoco, type SyntheticCoco } from '../synth/generate.js';
import type { CocoDataset } from '../types.js';
import { CocoDetectionDataset } from './detection-dataset.js';
import { decodeImage } from './image.js';

let synth: SyntheticCoco;
const root = mkdtempSync(join(tmpdir(), 'tfvision-dataset-'));

beforeAll(async () => {
  synth = await generateSyntheticCoco({ outDir: join(root, 'synth'), images: 8, seed: 11, size: 64 });
});

/** Tight [x0, y0, x1, y1) of a row-major mask. */
function maskBox(mask: Uint8Array, w: number): number[] {
  let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
  mask.forEach((v, p) => {
    if (!v) return;
    const x = p % w;
    const y = Math.floor(p / w);
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x + 1);
    y1 = Math.max(y1, y + 1);
  });
  return [x0, y0, x1, y1];
}

describe('CocoDetectionDataset on the synthetic set', () => {
  it('yields images and consistent boxes, labels, masks and areas', async () => {
    const ds = await CocoDetectionDataset.open(synth.annotationFile, { imageDir: synth.imageDir, masks: true });
    expect(ds.length).toBe(8);
    expect(ds.summary.degenerateBoxes).toBe(0);
    const crowdTotal = synth.dataset.annotations.filter((a) => a.iscrowd === 1).length;
    expect(ds.summary.crowdAnnotations).toBe(crowdTotal);
    let seenCrowd = 0;
    for (let i = 0; i < ds.length; i++) {
      const s = await ds.get(i);
      const info = synth.dataset.images[i];
      expect([s.image.height, s.image.width]).toEqual([info.height, info.width]);
      expect(s.image.data).toHaveLength(info.height * info.width * 3);
      const anns = synth.dataset.annotations.filter((a) => a.image_id === info.id && a.iscrowd === 0);
      expect(s.annotationIds).toEqual(anns.map((a) => a.id));
      expect(Array.from(s.labels)).toEqual(anns.map((a) => a.category_id)); // ids 1..5 are contiguous already
      const masks = s.masks as Uint8Array[];
      expect(masks).toHaveLength(anns.length);
      masks.forEach((m, k) => {
        expect(m.reduce((acc, v) => acc + v, 0)).toBe(s.areas[k]);
        // The mask lies inside its box (the polygon's extent), to within the pixel grid.
        const [mx0, my0, mx1, my1] = maskBox(m, info.width);
        const b = s.boxes.subarray(k * 4, k * 4 + 4);
        expect(mx0).toBeGreaterThanOrEqual(Math.floor(b[0]));
        expect(my0).toBeGreaterThanOrEqual(Math.floor(b[1]));
        expect(mx1).toBeLessThanOrEqual(Math.ceil(b[2]) + 1);
        expect(my1).toBeLessThanOrEqual(Math.ceil(b[3]) + 1);
        // Painted in the category's colour: the pixel at the mask's first pixel is not background grey.
        const p = m.indexOf(1);
        const [r, g, bl] = s.image.data.subarray(p * 3, p * 3 + 3);
        expect(Math.max(r, g, bl) - Math.min(r, g, bl)).toBeGreaterThan(60);
      });
      seenCrowd += s.crowdBoxes.length / 4;
      expect(s.crowdMasks).toHaveLength(s.crowdBoxes.length / 4);
    }
    expect(seenCrowd).toBe(crowdTotal);
  });

  it('maps labels to 0..K-1 and drops crowds on request', async () => {
    const ds = new CocoDetectionDataset(synth.dataset, { imageDir: synth.imageDir, firstLabel: 0, crowd: 'drop' });
    const s = await ds.get(0);
    const anns = synth.dataset.annotations.filter((a) => a.image_id === s.imageId && a.iscrowd === 0);
    expect(Array.from(s.labels)).toEqual(anns.map((a) => a.category_id - 1));
    expect(s.crowdBoxes).toHaveLength(0);
    expect(s.masks).toBeUndefined();
    const f = await new CocoDetectionDataset(synth.dataset, { imageDir: synth.imageDir, imageDtype: 'float32' }).get(0);
    expect(f.image.data).toBeInstanceOf(Float32Array);
    const u = await ds.get(0);
    expect(Array.from(f.image.data.subarray(0, 30))).toEqual(Array.from(u.image.data.subarray(0, 30)));
  });

  it('names a missing or wrong-sized image', async () => {
    const coco: CocoDataset = JSON.parse(JSON.stringify(synth.dataset));
    coco.images[0].file_name = 'nope.png';
    coco.images[1].width = 65;
    const ds = new CocoDetectionDataset(coco, { imageDir: synth.imageDir });
    await expect(ds.get(0)).rejects.toThrow(`${join(synth.imageDir, 'nope.png')}: cannot read image: file not found`);
    await expect(ds.get(1)).rejects.toThrow(/000002\.png: image is 64x\d+ but the annotations \(image id 2\) say 65x\d+/);
    const broken = join(root, 'broken.png');
    writeFileSync(broken, 'not a png');
    await expect(decodeImage(broken)).rejects.toThrow(`${broken}: cannot read image: `);
    unlinkSync(broken);
    expect(() => ds.imageInfo(8)).toThrow('CocoDetectionDataset: index 8 is outside 0..7');
  });

  it('skips images without usable annotations and counts degenerate boxes when asked', async () => {
    const coco: CocoDataset = JSON.parse(JSON.stringify(synth.dataset));
    const first = coco.images[0].id;
    for (const a of coco.annotations) if (a.image_id === first) a.bbox = [a.bbox[0], a.bbox[1], 0, a.bbox[3]];
    const n = coco.annotations.filter((a) => a.image_id === first && a.iscrowd === 0).length;
    const ds = new CocoDetectionDataset(coco, { imageDir: synth.imageDir, skipEmptyImages: true });
    expect(ds.summary.degenerateBoxes).toBe(n);
    expect(ds.summary.skippedImages).toBe(1);
    expect(ds.imageIds).not.toContain(first);
  });

  it('decodes greyscale and RGBA files to RGB', async () => {
    const grey = join(root, 'grey.png');
    await sharp(Buffer.from([0, 128, 255, 7]), { raw: { width: 2, height: 2, channels: 1 } }).png().toFile(grey);
    const img = await decodeImage(grey, { dtype: 'float32' });
    expect(Array.from(img.data)).toEqual([0, 0, 0, 128, 128, 128, 255, 255, 255, 7, 7, 7]);
    const rgba = join(root, 'rgba.png');
    await sharp(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]), { raw: { width: 2, height: 1, channels: 4 } }).png().toFile(rgba);
    expect(Array.from((await decodeImage(rgba)).data)).toEqual([1, 2, 3, 5, 6, 7]);
  });
});
