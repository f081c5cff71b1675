/**
 * The demo's drawn detections: held-out images with the final evaluation's COCO results
 * (score >= 0.5), so what is drawn is what was scored; the same drawing as train det's, on the
 * image enlarged (nearest neighbour) so that 96 px shapes and their tags can be read.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodeRle, segmentationToRle } from '@tfvision/coco';
import type { DetectionEvalReport, DetectionEvalSet } from '@tfvision/train';
import { drawDetections } from '../draw/draw-detections.js';

/** Nearest-neighbour enlargement of a row-major [H, W, channels] plane by an integer factor. */
export function enlarge<T extends Uint8Array | Float32Array>(src: T, width: number, height: number, channels: number, factor: number): T {
  const out = new (src.constructor as { new (n: number): T })(src.length * factor * factor);
  const w2 = width * factor;
  for (let y = 0; y < height * factor; y++) {
    for (let x = 0; x < w2; x++) {
      const from = (Math.floor(y / factor) * width + Math.floor(x / factor)) * channels;
      for (let c = 0; c < channels; c++) out[(y * w2 + x) * channels + c] = src[from + c];
    }
  }
  return out;
}

/** Writes the first `count` images of `set` with their detections into `dir`, `scale` times their size; returns the paths. */
export async function drawHeldOut(report: DetectionEvalReport, set: DetectionEvalSet, dir: string, count: number, scale: number): Promise<string[]> {
  const names = new Map(set.coco.categories.map((c) => [c.id, c.name]));
  mkdirSync(dir, { recursive: true });
  const paths: string[] = [];
  for (let i = 0; i < Math.min(count, report.images); i++) {
    const sample = await set.get(i);
    const { width, height } = sample.image;
    const plane = width * height;
    const boxes = report.results.bbox.filter((r) => r.image_id === sample.imageId);
    const segm = report.results.segm?.filter((r) => r.image_id === sample.imageId);
    let masks: Float32Array | undefined;
    if (segm) {
      masks = new Float32Array(segm.length * plane * scale * scale);
      segm.forEach((r, k) => masks!.set(enlarge(Float32Array.from(decodeRle(segmentationToRle(r.segmentation!, height, width))), width, height, 1, scale), k * plane * scale * scale));
    }
    const path = join(dir, sample.fileName.replace(/\.[^.]+$/, '.png'));
    await drawDetections(path, enlarge(Uint8Array.from(sample.image.data), width, height, 3, scale), width * scale, height * scale, {
      boxes: boxes.flatMap((r) => [r.bbox![0], r.bbox![1], r.bbox![0] + r.bbox![2], r.bbox![1] + r.bbox![3]].map((v) => v * scale)),
      scores: boxes.map((r) => r.score),
      labels: boxes.map((r) => r.category_id),
      ...(masks ? { masks } : {}),
    }, { labelName: (id) => names.get(id) ?? String(id) });
    paths.push(path);
  }
  return paths;
}
