/**
 * Resampling as torch.nn.functional.interpolate does it with align_corners=False and no
 * antialiasing (torchvision 0.14's tensor path for Resize / RandomResizedCrop): source coordinate
 * (dst + 0.5)·in/out - 0.5; bilinear clamps it at 0; bicubic uses Keys' kernel with A = -0.75 and
 * clamps tap indices to the edge. uint8 results are rounded half to even and clamped, as
 * torchvision's _cast_squeeze_out does. Like ATen's CPU kernels it interpolates along x, then
 * along y, in float32 (emulated with Math.fround); ATen's vectorised loops may still round a
 * value on a .5 boundary the other way, so rare pixels differ by one level.
 */
import { clampRoundU8, createImage, type ImageU8 } from './image.js';

export type Interpolation = 'bilinear' | 'bicubic';

const CUBIC_A = -0.75;
const f32 = Math.fround;

function cubicNear(x: number): number {
  const a = f32(f32(f32(CUBIC_A + 2) * x) - f32(CUBIC_A + 3));
  return f32(f32(f32(a * x) * x) + 1);
}

function cubicFar(x: number): number {
  const a = f32(f32(CUBIC_A * x) - f32(5 * CUBIC_A));
  const b = f32(f32(a * x) + f32(8 * CUBIC_A));
  return f32(f32(b * x) - f32(4 * CUBIC_A));
}

/** Per output position: `taps` absolute source indices and their weights. */
interface AxisWeights {
  taps: number;
  index: Int32Array;
  weight: Float32Array;
}

function axisWeights(start: number, length: number, outLength: number, mode: Interpolation): AxisWeights {
  const scale = f32(length / outLength);
  const taps = mode === 'bilinear' ? 2 : 4;
  const index = new Int32Array(outLength * taps);
  const weight = new Float32Array(outLength * taps);
  const last = length - 1;
  for (let o = 0; o < outLength; o++) {
    const k = o * taps;
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
      const w = [cubicFar(f32(t + 1)), cubicNear(t), cubicNear(f32(1 - t)), cubicFar(f32(2 - t))];
      for (let j = 0; j < 4; j++) {
        index[k + j] = start + Math.min(Math.max(i0 - 1 + j, 0), last);
        weight[k + j] = w[j];
      }
    }
  }
  return { taps, index, weight };
}

/**
 * Resamples rows [top, top+height) x cols [left, left+width) of `img` to outHeight x outWidth,
 * i.e. crop then resize in one pass (taps never leave the region, as with a cropped tensor).
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
  const c = img.channels;
  const src = img.data;
  const out = createImage(outHeight, outWidth, c);
  if (height === outHeight && width === outWidth) {
    // Unit scale puts every tap on a pixel centre with weight 1 (for both kernels): a plain copy.
    for (let y = 0; y < height; y++) {
      const from = ((top + y) * img.width + left) * c;
      out.data.set(src.subarray(from, from + width * c), y * width * c);
    }
    return out;
  }
  const wx = axisWeights(left, width, outWidth, mode);
  const wy = axisWeights(top, height, outHeight, mode);
  // Horizontal pass only over the source rows the vertical pass reads.
  const rowStride = outWidth * c;
  const tmp = new Float32Array(height * rowStride);
  const rowDone = new Uint8Array(height);
  const tx = wx.taps;
  for (let k = 0; k < wy.index.length; k++) {
    const r = wy.index[k] - top;
    if (rowDone[r]) continue;
    rowDone[r] = 1;
    const srcRow = (top + r) * img.width * c;
    const dstRow = r * rowStride;
    for (let x = 0; x < outWidth; x++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let j = 0; j < tx; j++) acc = f32(acc + f32(wx.weight[x * tx + j] * src[srcRow + wx.index[x * tx + j] * c + ch]));
        tmp[dstRow + x * c + ch] = acc;
      }
    }
  }
  const ty = wy.taps;
  const o = out.data;
  for (let y = 0; y < outHeight; y++) {
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
export function resize(img: ImageU8, height: number, width: number, mode: Interpolation = 'bilinear'): ImageU8 {
  return resizeRegion(img, 0, 0, img.height, img.width, height, width, mode);
}
