/**
 * What `tfvision detect` reads and writes: the .npy image of the fixed contract, image files
 * and folders, detections as host arrays, D.json, and COCO results (pycocotools' loadRes
 * format, as torchvision's references/detection/coco_eval.py prepares them: boxes as
 * [x, y, w, h], masks thresholded at 0.5 and RLE-encoded, one list per IoU type).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { encodeMask, rleToCompressed, type CocoDataset, type CocoResult } from '@tfvision/coco';
import { readNpy, writeFileAtomic } from '@tfvision/nn';
import type { Detections } from '@tfvision/heads';
import { UsageError } from '../command.js';

/** One image's detections on the host, in the model's output order. */
export interface HostDetections {
  /** [x1, y1, x2, y2] per detection, flat. */
  boxes: Float32Array;
  scores: Float32Array;
  labels: Int32Array;
  /** Mask probabilities [D, H, W] (Mask R-CNN). */
  masks?: Float32Array;
  height: number;
  width: number;
}

/** Reads and frees a Detections record. */
export async function toHost(d: Detections, height: number, width: number): Promise<HostDetections> {
  try {
    const [boxes, scores, labels, masks] = await Promise.all([d.boxes.data(), d.scores.data(), d.labels.data(), d.masks?.data()]);
    return {
      boxes: Float32Array.from(boxes as Float32Array),
      scores: Float32Array.from(scores as Float32Array),
      labels: Int32Array.from(labels as ArrayLike<number>),
      ...(masks ? { masks: Float32Array.from(masks as Float32Array) } : {}),
      height,
      width,
    };
  } finally {
    tf.dispose([d.boxes, d.scores, d.labels, ...(d.masks ? [d.masks] : [])]);
  }
}

/**
 * The contract's input: float32 [H, W, 3] or [1, H, W, 3], RGB in [0, 1]. Errors name the
 * file and what is wrong with it.
 */
export function readImageNpy(path: string): { data: Float32Array; height: number; width: number } {
  const x = readNpy(path);
  const shape = x.shape;
  if (x.dtype !== 'F32' && x.dtype !== 'F64') throw new Error(`${path}: expected float32 RGB in [0, 1], got dtype ${x.dtype}`);
  const hwc = shape.length === 4 && shape[0] === 1 ? shape.slice(1) : shape;
  if (hwc.length !== 3 || hwc[2] !== 3) {
    const hint = hwc.length === 3 && hwc[0] === 3 ? ' (it looks CHW; transpose to HWC with x.transpose(1, 2, 0))' : shape.length === 4 && shape[0] !== 1 ? ' (one image per call: batch 1)' : '';
    throw new Error(`${path}: expected shape [H, W, 3] or [1, H, W, 3], got [${shape.join(', ')}]${hint}`);
  }
  const data = Float32Array.from(x.data as ArrayLike<number>);
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) if (data[i] > max) max = data[i];
  // A 0-255 image would run silently and detect nothing sensible.
  if (max > 2) throw new Error(`${path}: values reach ${max}; expected RGB in [0, 1] (divide 0-255 images by 255)`);
  return { data, height: hwc[0], width: hwc[1] };
}

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff']);

/** Image files from file and folder arguments (a folder's images sorted by name, not recursive). */
export function listImages(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new UsageError(`detect: ${p}: no such file or folder`);
    if (statSync(p).isDirectory()) {
      const files = readdirSync(p)
        .filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase()))
        .sort()
        .map((f) => join(p, f));
      if (files.length === 0) throw new UsageError(`detect: ${p}: no images in this folder (${[...IMAGE_EXTENSIONS].join(', ')})`);
      out.push(...files);
    } else {
      out.push(p);
    }
  }
  return out;
}

/** D.json: the contract's {boxes, scores, labels}, float32 values written exactly. */
export function detectionsJson(d: HostDetections): { boxes: number[][]; scores: number[]; labels: number[] } {
  const boxes: number[][] = [];
  for (let i = 0; i < d.scores.length; i++) boxes.push(Array.from(d.boxes.subarray(4 * i, 4 * i + 4)));
  return { boxes, scores: Array.from(d.scores), labels: Array.from(d.labels) };
}

export function writeJson(path: string, value: unknown): void {
  writeFileAtomic(path, [Buffer.from(`${JSON.stringify(value)}\n`)]);
}

/**
 * Label -> COCO category id. torchvision's 91-class COCO models predict COCO category ids
 * (their label space is COCO's 1..90 with gaps), so labels pass through. Another class count
 * is a fine-tuned model whose labels are 1..K over the dataset's categories sorted by id (the
 * LabelMap rule of @tfvision/coco's training pipeline): mapped through `gt`'s categories, which
 * must then number K. Without `gt`, labels pass through.
 */
export function categoryMapper(numClasses: number, gt: CocoDataset | undefined): (label: number) => number {
  if (numClasses === 91 || !gt) return (l) => l;
  const ids = gt.categories.map((c) => c.id).sort((a, b) => a - b);
  if (ids.length !== numClasses - 1) {
    throw new UsageError(`detect: the model has ${numClasses - 1} classes (plus background) but --gt has ${ids.length} categories; labels 1..K map onto the sorted category ids only when the counts agree`);
  }
  return (l) => ids[l - 1];
}

/** Image id of each file: from --gt by file name, else the number a COCO-style name is (000000397133.jpg), else its position (1-based). */
export function imageIds(files: readonly string[], gt: CocoDataset | undefined): number[] {
  if (gt) {
    const byName = new Map(gt.images.map((im) => [basename(im.file_name), im.id]));
    return files.map((f) => {
      const id = byName.get(basename(f));
      if (id === undefined) throw new UsageError(`detect: ${f}: no image of --gt has file_name "${basename(f)}"`);
      return id;
    });
  }
  const numeric = files.map((f) => /^\d+$/.exec(basename(f, extname(f)))?.[0]);
  if (numeric.every((n) => n !== undefined)) return numeric.map(Number);
  return files.map((_, i) => i + 1);
}

/** COCO box results of one image (bbox [x, y, w, h]). */
export function cocoBoxResults(d: HostDetections, imageId: number, categoryId: (label: number) => number): CocoResult[] {
  const out: CocoResult[] = [];
  for (let i = 0; i < d.scores.length; i++) {
    const [x1, y1, x2, y2] = d.boxes.subarray(4 * i, 4 * i + 4);
    // Widths in float32, as torchvision's coco_eval computes them on the box tensor.
    out.push({ image_id: imageId, category_id: categoryId(d.labels[i]), bbox: [x1, y1, Math.fround(x2 - x1), Math.fround(y2 - y1)], score: d.scores[i] });
  }
  return out;
}

/** COCO segmentation results of one image: each mask > 0.5 as a compressed RLE, no bbox (so loadRes takes the mask's area). */
export function cocoSegmResults(d: HostDetections, imageId: number, categoryId: (label: number) => number): CocoResult[] {
  if (!d.masks) throw new Error('detect: segmentation results need masks (a Mask R-CNN)');
  const plane = d.height * d.width;
  const binary = new Uint8Array(plane);
  const out: CocoResult[] = [];
  for (let i = 0; i < d.scores.length; i++) {
    for (let p = 0; p < plane; p++) binary[p] = d.masks[i * plane + p] > 0.5 ? 1 : 0;
    out.push({ image_id: imageId, category_id: categoryId(d.labels[i]), segmentation: rleToCompressed(encodeMask(binary, d.height, d.width)), score: d.scores[i] });
  }
  return out;
}
