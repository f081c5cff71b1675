import { join } from 'node:path';
import sharp from 'sharp';
import type { CocoDataset } from '@tfvision/coco';

export interface CropSet {
  /** NHWC float32 in [0, 1]. */
  pixels: Float32Array;
  /** Contiguous class index 0..K-1 per crop. */
  labels: Int32Array;
  count: number;
  size: number;
  classNames: string[];
}

/**
 * Cuts every non-crowd object of a COCO dataset out of its image (box grown by 10%, clipped)
 * and resizes it to size x size: a classification set drawn from the detection data.
 */
export async function cropObjects(dataset: CocoDataset, imageDir: string, size: number): Promise<CropSet> {
  const catIndex = new Map(dataset.categories.map((c, i) => [c.id, i]));
  const byImage = new Map(dataset.images.map((im) => [im.id, im]));
  const anns = dataset.annotations.filter((a) => !a.iscrowd && a.bbox[2] >= 4 && a.bbox[3] >= 4);
  const pixels = new Float32Array(anns.length * size * size * 3);
  const labels = new Int32Array(anns.length);
  const decoded = new Map<number, sharp.Sharp>();
  for (let n = 0; n < anns.length; n++) {
    const a = anns[n];
    const im = byImage.get(a.image_id)!;
    let img = decoded.get(im.id);
    if (!img) {
      img = sharp(join(imageDir, im.file_name)).removeAlpha();
      decoded.set(im.id, img);
    }
    const [x, y, w, h] = a.bbox;
    const left = Math.max(0, Math.floor(x - 0.1 * w));
    const top = Math.max(0, Math.floor(y - 0.1 * h));
    const right = Math.min(im.width, Math.ceil(x + 1.1 * w));
    const bottom = Math.min(im.height, Math.ceil(y + 1.1 * h));
    const raw = await img
      .clone()
      .extract({ left, top, width: Math.max(1, right - left), height: Math.max(1, bottom - top) })
      .resize(size, size, { fit: 'fill', kernel: 'linear' })
      .raw()
      .toBuffer();
    const base = n * size * size * 3;
    for (let i = 0; i < size * size * 3; i++) pixels[base + i] = raw[i] / 255;
    labels[n] = catIndex.get(a.category_id)!;
  }
  return { pixels, labels, count: anns.length, size, classNames: dataset.categories.map((c) => c.name) };
}
