/**
 * torchvision's ImageFolder: class = sub-folder of `root`, class index = position in the sorted
 * folder names, samples = files with an image extension found recursively (sorted) under each
 * class folder. Images are decoded with sharp to 8-bit RGB (alpha dropped, grayscale expanded,
 * no EXIF rotation, like PIL's `convert('RGB')` in torchvision's default loader).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { ImageU8 } from '../augment/image.js';
import type { ClassificationDataset, ClassificationSample } from './types.js';

/** torchvision.datasets.folder.IMG_EXTENSIONS, matched case-insensitively. */
export const IMG_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp'];

/** Python's sorted() on str: by code point. */
function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function hasImageExtension(name: string): boolean {
  const lower = name.toLowerCase();
  return IMG_EXTENSIONS.some((e) => lower.endsWith(e));
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory(); // follows symlinks, as os.walk(followlinks=True)
  } catch {
    return false;
  }
}

/** Files under `dir` in os.walk order made deterministic: each folder's files sorted, sub-folders sorted. */
function walkImages(dir: string, out: string[]): void {
  const entries = readdirSync(dir).sort(byCodePoint);
  const subdirs: string[] = [];
  for (const name of entries) {
    const p = join(dir, name);
    if (isDir(p)) subdirs.push(p);
    else if (hasImageExtension(name)) out.push(p);
  }
  for (const s of subdirs) walkImages(s, out);
}

export async function decodeImageRgb(path: string): Promise<ImageU8> {
  let result: { data: Buffer; info: sharp.OutputInfo };
  try {
    result = await sharp(path, { failOn: 'error' }).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new Error(`${path}: cannot decode image (${(err as Error).message})`);
  }
  const { data, info } = result;
  const n = info.width * info.height;
  const c = info.channels;
  if (data.length !== n * c) throw new Error(`${path}: decoder returned ${data.length} bytes for ${info.width}x${info.height}x${c} (expected 8-bit samples)`);
  if (c === 3) return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), height: info.height, width: info.width, channels: 3 };
  // 1 (gray), 2 (gray + alpha) or 4 (RGBA): keep colour, drop alpha.
  const rgb = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    if (c >= 3) {
      rgb[3 * p] = data[c * p];
      rgb[3 * p + 1] = data[c * p + 1];
      rgb[3 * p + 2] = data[c * p + 2];
    } else {
      const v = data[c * p];
      rgb[3 * p] = v;
      rgb[3 * p + 1] = v;
      rgb[3 * p + 2] = v;
    }
  }
  return { data: rgb, height: info.height, width: info.width, channels: 3 };
}

export class ImageFolder implements ClassificationDataset {
  readonly classes: string[];
  /** Per sample: file path and class index, in torchvision's order. */
  readonly samples: { path: string; label: number }[] = [];

  constructor(readonly root: string) {
    if (!isDir(root)) throw new Error(`ImageFolder: ${root} is not a directory`);
    this.classes = readdirSync(root).filter((n) => isDir(join(root, n))).sort(byCodePoint);
    if (this.classes.length === 0) throw new Error(`ImageFolder: no class folders found in ${root} (expected ${root}/<class>/<image>)`);
    const empty: string[] = [];
    this.classes.forEach((cls, label) => {
      const files: string[] = [];
      walkImages(join(root, cls), files);
      if (files.length === 0) empty.push(cls);
      for (const path of files) this.samples.push({ path, label });
    });
    if (empty.length > 0) {
      throw new Error(`ImageFolder: no image files in class folder(s) ${empty.map((c) => `'${c}'`).join(', ')} of ${root}; supported extensions: ${IMG_EXTENSIONS.join(' ')}`);
    }
  }

  get length(): number {
    return this.samples.length;
  }

  async get(i: number): Promise<ClassificationSample> {
    if (!Number.isInteger(i) || i < 0 || i >= this.samples.length) throw new Error(`ImageFolder: index ${i} is outside 0..${this.samples.length - 1}`);
    const s = this.samples[i];
    return { image: await decodeImageRgb(s.path), label: s.label };
  }
}
