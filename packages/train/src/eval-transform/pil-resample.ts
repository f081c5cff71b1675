/**
 * PIL's Image.resize(size, BILINEAR | BICUBIC) on 8-bit RGB / L images, as Pillow's
 * libImaging/Resample.c defines it (the resize timm's evaluation transform reaches through
 * torchvision's PIL path).
 *
 * Per axis: scale = in/out, filterscale = max(scale, 1), support = filter radius * filterscale;
 * output i takes source taps [trunc(c - support + 0.5), trunc(c + support + 0.5)) clamped to the
 * image, with c = (i + 0.5) * scale and weight filter((x - c + 0.5) / filterscale), normalised to
 * sum 1 in float64 and then quantised to 22-bit fixed point (round half away from zero).
 * Pixels accumulate as integers from 2^21 (the rounding half) and are floor-shifted by 22 bits
 * and clamped to [0, 255]. The horizontal pass runs first, to uint8, then the vertical pass; an
 * axis whose size does not change is skipped. Bilinear is the triangle filter (radius 1),
 * bicubic Keys' cubic with a = -0.5 (radius 2).
 */
import { checkImage, createImage, type ImageU8 } from '../augment/image.js';

export type PilInterpolation = 'bilinear' | 'bicubic';

/** Fixed-point precision Pillow uses for 8-bit images: 32 - 8 - 2 bits. */
const PRECISION_BITS = 22;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

const SUPPORT: Record<PilInterpolation, number> = { bilinear: 1, bicubic: 2 };

function triangle(x: number): number {
  const ax = x < 0 ? -x : x;
  return ax < 1 ? 1 - ax : 0;
}

function keysCubic(x: number): number {
  const a = -0.5;
  const ax = x < 0 ? -x : x;
  if (ax < 1) return ((a + 2) * ax - (a + 3)) * ax * ax + 1;
  if (ax < 2) return (((ax - 5) * ax + 8) * ax - 4) * a;
  return 0;
}

/** Per output index: first source tap, tap count, and integer weights (row-major, `taps` each). */
export interface PilAxisCoefficients {
  taps: number;
  first: Int32Array;
  count: Int32Array;
  weight: Int32Array;
}

export function pilAxisCoefficients(inSize: number, outSize: number, mode: PilInterpolation): PilAxisCoefficients {
  const filter = mode === 'bilinear' ? triangle : keysCubic;
  const scale = inSize / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = SUPPORT[mode] * filterscale;
  const taps = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weight = new Int32Array(outSize * taps);
  const k = new Float64Array(taps);
  const inv = 1 / filterscale;
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    // C's (int) cast truncates toward zero; negatives are then clamped to 0 anyway.
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter((x + xmin - center + 0.5) * inv);
      k[x] = w;
      sum += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = sum !== 0 ? k[x] / sum : k[x];
      weight[i * taps + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    first[i] = xmin;
    count[i] = xmax;
  }
  return { taps, first, count, weight };
}

/** floor(acc / 2^22) clamped to [0, 255]; `| 0` truncates, which is floor for the positive range left. */
function clip8(acc: number): number {
  if (acc <= 0) return 0;
  if (acc >= 256 * ONE) return 255;
  return (acc / ONE) | 0;
}

function resampleHorizontal(img: ImageU8, outWidth: number, mode: PilInterpolation): ImageU8 {
  const { height, width, channels: c, data } = img;
  const { taps, first, count, weight } = pilAxisCoefficients(width, outWidth, mode);
  const out = createImage(height, outWidth, c);
  const o = out.data;
  for (let y = 0; y < height; y++) {
    const row = y * width * c;
    for (let x = 0; x < outWidth; x++) {
      const base = row + first[x] * c;
      const n = count[x];
      const wo = x * taps;
      for (let ch = 0; ch < c; ch++) {
        let acc = HALF;
        for (let t = 0; t < n; t++) acc += data[base + t * c + ch] * weight[wo + t];
        o[(y * outWidth + x) * c + ch] = clip8(acc);
      }
    }
  }
  return out;
}

function resampleVertical(img: ImageU8, outHeight: number, mode: PilInterpolation): ImageU8 {
  const { height, width, channels: c, data } = img;
  const { taps, first, count, weight } = pilAxisCoefficients(height, outHeight, mode);
  const stride = width * c;
  const out = createImage(outHeight, width, c);
  const o = out.data;
  const acc = new Float64Array(stride);
  for (let y = 0; y < outHeight; y++) {
    acc.fill(HALF);
    const n = count[y];
    for (let t = 0; t < n; t++) {
      const w = weight[y * taps + t];
      const row = (first[y] + t) * stride;
      for (let i = 0; i < stride; i++) acc[i] += data[row + i] * w;
    }
    const orow = y * stride;
    for (let i = 0; i < stride; i++) o[orow + i] = clip8(acc[i]);
  }
  return out;
}

/** PIL's `img.resize((outWidth, outHeight), mode)` for an 8-bit image (box = the whole image). */
export function pilResize(img: ImageU8, outHeight: number, outWidth: number, mode: PilInterpolation): ImageU8 {
  checkImage(img, 'pilResize');
  if (!Number.isInteger(outHeight) || outHeight < 1) throw new Error(`pilResize: outHeight must be a positive integer, got ${outHeight}`);
  if (!Number.isInteger(outWidth) || outWidth < 1) throw new Error(`pilResize: outWidth must be a positive integer, got ${outWidth}`);
  if (mode !== 'bilinear' && mode !== 'bicubic') throw new Error(`pilResize: mode must be bilinear or bicubic, got ${String(mode)}`);
  let out = img;
  if (outWidth !== img.width) out = resampleHorizontal(out, outWidth, mode);
  if (outHeight !== img.height) out = resampleVertical(out, outHeight, mode);
  return out === img ? { ...img, data: img.data.slice() } : out;
}
