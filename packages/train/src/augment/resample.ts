/**
 * Resampling as torch.nn.functional.interpolate does it with align_corners=False — torchvision
 * 0.14's tensor path for Resize / RandomResizedCrop.
 *
 * Without antialiasing (torchvision's tensor default): source coordinate (dst + 0.5)·in/out - 0.5;
 * bilinear clamps it at 0; bicubic uses Keys' kernel with A = -0.75 and clamps tap indices to the
 * edge. With `antialias: true` (torch's _upsample_*_aa kernels, which follow PIL's Resample.c):
 * when downscaling, the filter support is stretched by the scale (triangle for bilinear, Keys
 * with A = -0.5 for bicubic) and weights are normalised per output pixel, so the result is close
 * to PIL's resize as timm's evaluation uses it.
 *
 * uint8 results are rounded half to even and clamped, as torchvision's _cast_squeeze_out does.
 * Like ATen's CPU kernels it interpolates along x, then along y, in float32 (emulated with
 * Math.fround); ATen's vectorised loops may still round a value on a .5 boundary the other way,
 * so rare pixels differ by one level.
 */
import { clampRoundU8, createImage, type ImageU8 } from './image.js';

export type Interpolation = 'bilinear' | 'bicubic';

export interface ResizeOptions {
  /** Stretch the filter when downscaling (PIL-like); default false, as torchvision's tensor path. */
  antialias?: boolean;
}

const f32 = Math.fround;

function cubicNear(x: number, A: number): number {
  const a = f32(f32(f32(A + 2) * x) - f32(A + 3));
  return f32(f32(f32(a * x) * x) + 1);
}

function cubicFar(x: number, A: number): number {
  const a = f32(f32(A * x) - f32(5 * A));
  const b = f32(f32(a * x) + f32(8 * A));
  return f32(f32(b * x) - f32(4 * A));
}

/** Filters for the antialiased path (PIL's: triangle, and Keys with A = -0.5). */
function aaFilter(mode: Interpolation, x: number): number {
  const ax = Math.abs(x);
  if (mode === 'bilinear') return ax < 1 ? f32(1 - ax) : 0;
  if (ax < 1) return cubicNear(ax, -0.5);
  if (ax < 2) return cubicFar(ax, -0.5);
  return 0;
}

/** Output positions first..first+count-1: `taps` absolute source indices and weights each. */
interface AxisWeights {
  taps: number;
  index: Int32Array;
  weight: Float32Array;
}

function axisWeights(
  start: number,
  length: number,
  outLength: number,
  first: number,
  count: number,
  mode: Interpolation,
  antialias: boolean,
): AxisWeights {
  const scale = f32(length / outLength);
  const last = length - 1;
  if (antialias) {
    const baseSupport = mode === 'bilinear' ? 1 : 2;
    const support = scale >= 1 ? f32(baseSupport * scale) : baseSupport;
    const invScale = scale >= 1 ? f32(1 / scale) : 1;
    const taps = Math.ceil(support) * 2 + 1;
    const index = new Int32Array(count * taps);
    const weight = new Float32Array(count * taps);
    for (let n = 0; n < count; n++) {
      const o = first + n;
      const center = f32(scale * (o + 0.5));
      const xmin = Math.max(Math.trunc(f32(f32(center - support) + 0.5)), 0);
      const xsize = Math.min(Math.trunc(f32(f32(center + support) + 0.5)), length) - xmin;
      let total = 0;
      for (let j = 0; j < xsize; j++) {
        const w = aaFilter(mode, f32(f32(f32(j + xmin - center) + 0.5) * invScale));
        weight[n * taps + j] = w;
        total = f32(total + w);
      }
      for (let j = 0; j < taps; j++) {
        index[n * taps + j] = start + Math.min(xmin + Math.min(j, Math.max(xsize - 1, 0)), last);
        if (j >= xsize) weight[n * taps + j] = 0;
        else if (total !== 0) weight[n * taps + j] = f32(weight[n * taps + j] / total);
      }
    }
    return { taps, index, weight };
  }
  const taps = mode === 'bilinear' ? 2 : 4;
  const index = new Int32Array(count * taps);
  const weight = new Float32Array(count * taps);
  for (let n = 0; n < count; n++) {
    const o = first + n;
    const k = n * taps;
    if (mode === 'bilinear') {
      // ATen's linear kernels compute the source index in double (acc_type), the cubic one in float.
      const src = scale * (o + 0.5) - 0.5;
      const s = src < 0 ? 0 : src;
      const i0 = Math.min(Math.floor(s), last);
      const i1 = i0 < last ? i0 + 1 : i0;
      const l1 = Math.min(Math.max(f32(s - i0), 0), 1);
      index[k] = start + i0;
      index[k + 1] = start + i1;
      weight[k] = f32(1 - l1);
      weight[k + 1] = l1;
    } else {
      const src = f32(f32(scale * (o + 0.5)) - 0.5);
      const i0 = Math.floor(src);
      const t = Math.min(Math.max(f32(src - i0), 0), 1);
      const w = [cubicFar(f32(t + 1), -0.75), cubicNear(t, -0.75), cubicNear(f32(1 - t), -0.75), cubicFar(f32(2 - t), -0.75)];
      for (let j = 0; j < 4; j++) {
        index[k + j] = start + Math.min(Math.max(i0 - 1 + j, 0), last);
        weight[k + j] = w[j];
      }
    }
  }
  return { taps, index, weight };
}

/** A window of the output to compute (e.g. the centre crop of a resize). */
export interface OutputWindow {
  top: number;
  left: number;
  height: number;
  width: number;
}

/**
 * Resamples rows [top, top+height) x cols [left, left+width) of `img` to outHeight x outWidth,
 * i.e. crop then resize in one pass (taps never leave the region, as with a cropped tensor).
 * With `window`, only that part of the outHeight x outWidth result is computed and returned.
 */
export function resizeRegion(
  img: ImageU8,
  top: number,
  left: number,
  height: number,
  width: number,
  outHeight: number,
  outWidth: number,
  mode: Interpolation = 'bilinear',
  opts: ResizeOptions & { window?: OutputWindow } = {},
): ImageU8 {
  if (mode !== 'bilinear' && mode !== 'bicubic') {
    throw new Error(`resize: interpolation must be 'bilinear' or 'bicubic', got '${String(mode)}'`);
  }
  if (top < 0 || left < 0 || height < 1 || width < 1 || top + height > img.height || left + width > img.width) {
    throw new Error(`resize: region top=${top} left=${left} ${height}x${width} is outside the ${img.height}x${img.width} image`);
  }
  if (!Number.isInteger(outHeight) || !Number.isInteger(outWidth) || outHeight < 1 || outWidth < 1) {
    throw new Error(`resize: output size must be positive integers, got ${outHeight}x${outWidth}`);
  }
  const win = opts.window ?? { top: 0, left: 0, height: outHeight, width: outWidth };
  if (win.top < 0 || win.left < 0 || win.height < 1 || win.width < 1 || win.top + win.height > outHeight || win.left + win.width > outWidth) {
    throw new Error(`resize: window top=${win.top} left=${win.left} ${win.height}x${win.width} is outside the ${outHeight}x${outWidth} output`);
  }
  const antialias = opts.antialias === true;
  const c = img.channels;
  const src = img.data;
  const out = createImage(win.height, win.width, c);
  if (height === outHeight && width === outWidth) {
    // Unit scale puts every tap on a pixel centre with weight 1 (for every kernel): a plain copy.
    for (let y = 0; y < win.height; y++) {
      const from = ((top + win.top + y) * img.width + left + win.left) * c;
      out.data.set(src.subarray(from, from + win.width * c), y * win.width * c);
    }
    return out;
  }
  const wx = axisWeights(left, width, outWidth, win.left, win.width, mode, antialias);
  const wy = axisWeights(top, height, outHeight, win.top, win.height, mode, antialias);
  // Horizontal pass only over the source rows the vertical pass reads.
  const rowStride = win.width * c;
  const tmp = new Float32Array(height * rowStride);
  const rowDone = new Uint8Array(height);
  const tx = wx.taps;
  for (let k = 0; k < wy.index.length; k++) {
    const r = wy.index[k] - top;
    if (rowDone[r]) continue;
    rowDone[r] = 1;
    const srcRow = (top + r) * img.width * c;
    const dstRow = r * rowStride;
    for (let x = 0; x < win.width; x++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let j = 0; j < tx; j++) acc = f32(acc + f32(wx.weight[x * tx + j] * src[srcRow + wx.index[x * tx + j] * c + ch]));
        tmp[dstRow + x * c + ch] = acc;
      }
    }
  }
  const ty = wy.taps;
  const o = out.data;
  for (let y = 0; y < win.height; y++) {
    const dst = y * rowStride;
    for (let i = 0; i < rowStride; i++) {
      let acc = 0;
      for (let j = 0; j < ty; j++) acc = f32(acc + f32(wy.weight[y * ty + j] * tmp[(wy.index[y * ty + j] - top) * rowStride + i]));
      o[dst + i] = clampRoundU8(acc);
    }
  }
  return out;
}

/** Resizes the whole image to height x width. */
export function resize(img: ImageU8, height: number, width: number, mode: Interpolation = 'bilinear', opts: ResizeOptions = {}): ImageU8 {
  return resizeRegion(img, 0, 0, img.height, img.width, height, width, mode, opts);
}
