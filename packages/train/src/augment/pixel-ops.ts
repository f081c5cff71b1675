/**
 * Photometric operations on uint8 images with torchvision's tensor semantics
 * (torchvision/transforms/functional_tensor.py, 0.14): blends are computed in float32
 * (emulated with Math.fround) and converted back by truncation, as `.to(torch.uint8)` does;
 * grayscale uses 0.2989 R + 0.587 G + 0.114 B truncated to uint8. Single-channel images pass
 * through saturation and hue unchanged, as in torchvision.
 */
import { clampRoundU8, clampTruncU8, createImage, type ImageU8 } from './image.js';

const f32 = Math.fround;

/** f32(factor · v) for every uint8 v: the products take only 256 values, so ops use lookups. */
function productTable(factor: number): Float32Array {
  const t = new Float32Array(256);
  for (let v = 0; v < 256; v++) t[v] = f32(factor * v);
  return t;
}

/** (ratio·a + (1-ratio)·b) in float32, clamped to 0..255 and truncated. `b` is per pixel or a constant. */
function blend(img: ImageU8, other: Uint8Array | number, ratio: number): ImageU8 {
  const r = f32(ratio);
  const q = f32(1 - ratio);
  const out = createImage(img.height, img.width, img.channels);
  const a = img.data;
  const d = out.data;
  const ra = productTable(r);
  if (typeof other === 'number') {
    const qb = f32(q * f32(other));
    const lut = new Uint8Array(256);
    for (let v = 0; v < 256; v++) lut[v] = clampTruncU8(f32(ra[v] + qb));
    for (let i = 0; i < a.length; i++) d[i] = lut[a[i]];
  } else {
    const qb = productTable(q);
    for (let i = 0; i < a.length; i++) d[i] = clampTruncU8(f32(ra[a[i]] + qb[other[i]]));
  }
  return out;
}

/** Per-pixel luma (one value per pixel), torchvision's rgb_to_grayscale for uint8. */
export function grayscaleValues(img: ImageU8): Uint8Array {
  const n = img.height * img.width;
  if (img.channels === 1) return img.data.slice();
  const s = img.data;
  const out = new Uint8Array(n);
  const wr = productTable(f32(0.2989));
  const wg = productTable(f32(0.587));
  const wb = productTable(f32(0.114));
  for (let p = 0, i = 0; p < n; p++, i += 3) {
    out[p] = clampTruncU8(f32(f32(wr[s[i]] + wg[s[i + 1]]) + wb[s[i + 2]]));
  }
  return out;
}

function checkFactor(name: string, factor: number): void {
  if (!(factor >= 0) || !Number.isFinite(factor)) throw new Error(`${name}: factor must be a finite number >= 0, got ${factor}`);
}

export function adjustBrightness(img: ImageU8, factor: number): ImageU8 {
  checkFactor('adjustBrightness', factor);
  return blend(img, 0, factor);
}

/** Blends with the mean of the grayscale image (one scalar for the whole image). */
export function adjustContrast(img: ImageU8, factor: number): ImageU8 {
  checkFactor('adjustContrast', factor);
  const gray = grayscaleValues(img);
  let sum = 0;
  for (let i = 0; i < gray.length; i++) sum += gray[i];
  return blend(img, f32(sum / gray.length), factor);
}

export function adjustSaturation(img: ImageU8, factor: number): ImageU8 {
  checkFactor('adjustSaturation', factor);
  if (img.channels === 1) return img;
  const gray = grayscaleValues(img);
  const g3 = new Uint8Array(img.data.length);
  for (let p = 0; p < gray.length; p++) {
    g3[3 * p] = gray[p];
    g3[3 * p + 1] = gray[p];
    g3[3 * p + 2] = gray[p];
  }
  return blend(img, g3, factor);
}

/**
 * Rotates hue by `factor` turns (in [-0.5, 0.5]) via HSV, as torchvision's _rgb2hsv/_hsv2rgb.
 * Converted back to uint8 by truncation of v·255 as torchvision does, in float32.
 */
export function adjustHue(img: ImageU8, factor: number): ImageU8 {
  if (!(factor >= -0.5 && factor <= 0.5)) throw new Error(`adjustHue: factor must be in [-0.5, 0.5], got ${factor}`);
  if (img.channels === 1) return img;
  const s = img.data;
  const out = createImage(img.height, img.width, 3);
  const d = out.data;
  const hf = f32(factor);
  for (let i = 0; i < s.length; i += 3) {
    const r = f32(s[i] / 255);
    const g = f32(s[i + 1] / 255);
    const b = f32(s[i + 2] / 255);
    const maxc = Math.max(r, g, b);
    const minc = Math.min(r, g, b);
    const eq = maxc === minc;
    const cr = f32(maxc - minc);
    const sat = f32(cr / (eq ? 1 : maxc));
    const div = eq ? 1 : cr;
    const rc = f32(f32(maxc - r) / div);
    const gc = f32(f32(maxc - g) / div);
    const bc = f32(f32(maxc - b) / div);
    let h: number;
    if (maxc === r) h = f32(bc - gc);
    else if (maxc === g) h = f32(f32(2 + rc) - bc);
    else h = f32(f32(4 + gc) - rc);
    h = f32(f32(h / 6) + 1) % 1;
    h = f32(f32(h + hf) % 1);
    if (h < 0) h = f32(h + 1);
    const h6 = f32(h * 6);
    const fi = Math.floor(h6);
    const fr = f32(h6 - fi);
    const v = maxc;
    const p = Math.min(Math.max(f32(v * f32(1 - sat)), 0), 1);
    const q = Math.min(Math.max(f32(v * f32(1 - f32(sat * fr))), 0), 1);
    const t = Math.min(Math.max(f32(v * f32(1 - f32(sat * f32(1 - fr)))), 0), 1);
    let ro: number;
    let go: number;
    let bo: number;
    switch (((fi % 6) + 6) % 6) {
      case 0: ro = v; go = t; bo = p; break;
      case 1: ro = q; go = v; bo = p; break;
      case 2: ro = p; go = v; bo = t; break;
      case 3: ro = p; go = q; bo = v; break;
      case 4: ro = t; go = p; bo = v; break;
      default: ro = v; go = p; bo = q; break;
    }
    d[i] = clampTruncU8(f32(ro * 255));
    d[i + 1] = clampTruncU8(f32(go * 255));
    d[i + 2] = clampTruncU8(f32(bo * 255));
  }
  return out;
}

/** Blends with a 3x3 smoothed copy (centre weight 5/13, others 1/13; border pixels kept), as PIL's SMOOTH filter. */
export function adjustSharpness(img: ImageU8, factor: number): ImageU8 {
  checkFactor('adjustSharpness', factor);
  const { height: h, width: w, channels: c } = img;
  if (h <= 2 || w <= 2) return img;
  const s = img.data;
  const blurred = s.slice();
  const k = productTable(f32(1 / 13));
  const kc = productTable(f32(5 / 13));
  const row = w * c;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      for (let ch = 0; ch < c; ch++) {
        // Taps in row-major order, accumulated in float32 like the reference conv.
        const m = (y * w + x) * c + ch;
        const u = m - row;
        const d = m + row;
        let acc = k[s[u - c]];
        acc = f32(acc + k[s[u]]);
        acc = f32(acc + k[s[u + c]]);
        acc = f32(acc + k[s[m - c]]);
        acc = f32(acc + kc[s[m]]);
        acc = f32(acc + k[s[m + c]]);
        acc = f32(acc + k[s[d - c]]);
        acc = f32(acc + k[s[d]]);
        acc = f32(acc + k[s[d + c]]);
        blurred[m] = clampRoundU8(acc);
      }
    }
  }
  return blend(img, blurred, factor);
}

/** Keeps the top `bits` bits of each value. */
export function posterize(img: ImageU8, bits: number): ImageU8 {
  if (!Number.isInteger(bits) || bits < 0 || bits > 8) throw new Error(`posterize: bits must be an integer in 0..8, got ${bits}`);
  const mask = (0xff << (8 - bits)) & 0xff;
  const out = createImage(img.height, img.width, img.channels);
  for (let i = 0; i < img.data.length; i++) out.data[i] = img.data[i] & mask;
  return out;
}

/** Inverts values >= threshold. */
export function solarize(img: ImageU8, threshold: number): ImageU8 {
  if (!(threshold <= 255)) throw new Error(`solarize: threshold must be <= 255, got ${threshold}`);
  const out = createImage(img.height, img.width, img.channels);
  for (let i = 0; i < img.data.length; i++) {
    const v = img.data[i];
    out.data[i] = v >= threshold ? 255 - v : v;
  }
  return out;
}

export function invert(img: ImageU8): ImageU8 {
  const out = createImage(img.height, img.width, img.channels);
  for (let i = 0; i < img.data.length; i++) out.data[i] = 255 - img.data[i];
  return out;
}

/** Stretches each channel to 0..255 ((x - min)·255/(max - min), float32, truncated); flat channels unchanged. */
export function autocontrast(img: ImageU8): ImageU8 {
  const c = img.channels;
  const s = img.data;
  const out = createImage(img.height, img.width, c);
  for (let ch = 0; ch < c; ch++) {
    let lo = 255;
    let hi = 0;
    for (let i = ch; i < s.length; i += c) {
      const v = s[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const flat = hi === lo;
    const min = flat ? 0 : lo;
    // torch evaluates `255.0 / tensor` as tensor.reciprocal() * 255.
    const scale = flat ? 1 : f32(f32(1 / (hi - lo)) * 255);
    for (let i = ch; i < s.length; i += c) out.data[i] = clampTruncU8(f32((s[i] - min) * scale));
  }
  return out;
}

/** Histogram equalisation per channel with PIL's lookup table (torchvision's _scale_channel). */
export function equalize(img: ImageU8): ImageU8 {
  const c = img.channels;
  const s = img.data;
  const out = createImage(img.height, img.width, c);
  const hist = new Float64Array(256);
  const lut = new Uint8Array(256);
  for (let ch = 0; ch < c; ch++) {
    hist.fill(0);
    for (let i = ch; i < s.length; i += c) hist[s[i]]++;
    // step: pixels outside the brightest occupied bin, divided by 255 (floor).
    let lastNonZero = -1;
    let total = 0;
    for (let v = 0; v < 256; v++) {
      if (hist[v] !== 0) lastNonZero = v;
      total += hist[v];
    }
    const step = Math.floor((total - (lastNonZero >= 0 ? hist[lastNonZero] : 0)) / 255);
    if (step === 0) {
      for (let i = ch; i < s.length; i += c) out.data[i] = s[i];
      continue;
    }
    // lut[v] = floor((cumsum up to v-1 + floor(step/2)) / step), clamped.
    let cum = 0;
    const half = Math.floor(step / 2);
    for (let v = 0; v < 256; v++) {
      lut[v] = Math.min(255, Math.floor((cum + half) / step));
      cum += hist[v];
    }
    for (let i = ch; i < s.length; i += c) out.data[i] = lut[s[i]];
  }
  return out;
}
