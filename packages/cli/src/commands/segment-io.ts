/**
 * What `tfvision segment` and `tfvision eval seg` read and write: the .npy input of the fixed
 * contract, images normalised with the preset's mean/std and padded to the model's side
 * multiple, class-index PNGs (8-bit greyscale, the value is the class), colour overlays with
 * PASCAL VOC's palette (the bit-interleaved colour map of VOCdevkit's labelcolormap, so
 * predictions look like VOC's label PNGs), and the progress line.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { readNpy } from '@tfvision/nn';
import { UsageError } from '../command.js';

/** The contract's input: float32 [H, W, 3] or [N, H, W, 3], already normalised. Errors name the file. */
export function readSegmentNpy(path: string): { data: Float32Array; shape: [number, number, number, number] } {
  const x = readNpy(path);
  if (x.dtype !== 'F32' && x.dtype !== 'F64') throw new Error(`${path}: expected float32 normalised images, got dtype ${x.dtype}`);
  const s = x.shape;
  const nhwc = s.length === 3 ? [1, ...s] : [...s];
  if (nhwc.length !== 4 || nhwc[3] !== 3 || nhwc.some((d) => d < 1)) {
    const chw = (s.length === 3 && s[0] === 3) || (s.length === 4 && s[1] === 3);
    throw new Error(`${path}: expected shape [H, W, 3] or [N, H, W, 3], got [${s.join(', ')}]${chw ? ' (it looks channels-first; transpose to NHWC)' : ''}`);
  }
  return { data: Float32Array.from(x.data as ArrayLike<number>), shape: nhwc as [number, number, number, number] };
}

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff']);

/** Image files from file and folder arguments (a folder's images sorted by name, not recursive). */
export function listImageFiles(paths: readonly string[], command: string): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new UsageError(`${command}: ${p}: no such file or folder`);
    if (statSync(p).isDirectory()) {
      const files = readdirSync(p).filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase())).sort().map((f) => join(p, f));
      if (files.length === 0) throw new UsageError(`${command}: ${p}: no images in this folder (${[...IMAGE_EXTENSIONS].join(', ')})`);
      out.push(...files);
    } else out.push(p);
  }
  return out;
}

/**
 * 0-255 RGB to the model's input: x / 255, then (x - mean) / std per channel, zero-padded at the
 * bottom and right to multiples of `multiple` (zero is the mean colour after normalising; smp's
 * DeepLabV3+ takes only sides that are multiples of 16). Returns NHWC [1, H', W', 3].
 */
export function normaliseImage(rgb: Uint8Array, height: number, width: number, mean: readonly number[], std: readonly number[], multiple: number): { data: Float32Array; height: number; width: number } {
  const ph = Math.ceil(height / multiple) * multiple;
  const pw = Math.ceil(width / multiple) * multiple;
  const out = new Float32Array(ph * pw * 3);
  const scale = std.map((s) => 1 / (255 * s));
  const shift = mean.map((m, c) => m / std[c]);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const o = (y * pw + x) * 3;
      for (let c = 0; c < 3; c++) out[o + c] = rgb[i + c] * scale[c] - shift[c];
    }
  }
  return { data: out, height: ph, width: pw };
}

/** Per-pixel argmax of logits [1, H', W', C] over the top-left height x width (the unpadded image), as class indices. */
export async function classMap(logits: tf.Tensor4D, height: number, width: number): Promise<Uint8Array> {
  const ids = tf.tidy(() => tf.argMax(tf.slice(logits, [0, 0, 0, 0], [1, height, width, -1]), 3));
  try {
    return Uint8Array.from((await ids.data()) as Int32Array);
  } finally {
    ids.dispose();
  }
}

/** Writes a class map as an 8-bit greyscale PNG whose value is the class. */
export async function writeClassPng(path: string, map: Uint8Array, width: number, height: number): Promise<void> {
  await sharp(Buffer.from(map.buffer, map.byteOffset, map.byteLength), { raw: { width, height, channels: 1 } }).toColourspace('b-w').png().toFile(path);
}

/**
 * Reads a label PNG (8-bit greyscale: the value is the class, 255 usually "ignore"). A colour
 * PNG whose channels differ (a VOC-style palette image shows as colours after decoding) is an
 * error: sharp expands palettes, so the palette index is lost.
 */
export async function readLabelPng(path: string): Promise<{ data: Uint8Array; width: number; height: number }> {
  let out: { data: Buffer; info: sharp.OutputInfo };
  try {
    out = await sharp(path, { failOn: 'error' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new Error(`${path}: cannot read label image: ${(err as Error).message}`);
  }
  const { width, height, channels } = out.info;
  const src = out.data;
  if (channels === 1) return { data: new Uint8Array(src.buffer, src.byteOffset, src.byteLength), width, height };
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) {
    const v = src[i * channels];
    for (let c = 1; c < channels; c++) {
      if (src[i * channels + c] !== v) throw new Error(`${path}: label image has colour pixels (first at x ${i % width}, y ${Math.floor(i / width)}); expected greyscale class indices (a palette PNG loses its indices when decoded: save the indices as greyscale)`);
    }
    data[i] = v;
  }
  return { data, width, height };
}

/** PASCAL VOC's colour of class `k` (0 black, 1 dark red, 2 dark green, ..., 15 person pink). */
export function paletteColour(k: number): [number, number, number] {
  let r = 0;
  let g = 0;
  let b = 0;
  let c = k;
  for (let j = 0; j < 8; j++) {
    r |= ((c >> 0) & 1) << (7 - j);
    g |= ((c >> 1) & 1) << (7 - j);
    b |= ((c >> 2) & 1) << (7 - j);
    c >>= 3;
  }
  return [r, g, b];
}

/**
 * Writes the image with each pixel of class > 0 blended with its palette colour
 * (alpha x colour + (1 - alpha) x image); class 0 (background, black in VOC's palette) is left
 * as the image.
 */
export async function writeOverlay(path: string, rgb: Uint8Array, map: Uint8Array, width: number, height: number, alpha: number): Promise<void> {
  const colours = Array.from({ length: 256 }, (_, k) => paletteColour(k));
  const out = Buffer.alloc(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    const k = map[p];
    for (let c = 0; c < 3; c++) out[p * 3 + c] = k === 0 ? rgb[p * 3 + c] : Math.round(alpha * colours[k][c] + (1 - alpha) * rgb[p * 3 + c]);
  }
  await sharp(out, { raw: { width, height, channels: 3 } }).png().toFile(path);
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.ceil(s)} s`;
  return `${Math.floor(s / 60)} min ${Math.ceil(s % 60)} s`;
}

/** One progress line on stderr (rewritten in place on a terminal): done/total, images/s, ETA. */
export function progress(command: string, done: number, total: number, startedMs: number): void {
  const rate = done / Math.max((Date.now() - startedMs) / 1000, 1e-9);
  const tty = process.stderr.isTTY === true;
  process.stderr.write(`${command}: ${done}/${total} images (${rate.toFixed(2)} images/s, ETA ${formatSeconds((total - done) / rate)})${tty && done < total ? '\r' : '\n'}`);
}
