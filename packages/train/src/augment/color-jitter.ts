/**
 * ColorJitter as torchvision 0.14: factors brightness/contrast/saturation ~ U(max(0, 1-v), 1+v),
 * hue ~ U(-v, v); a random permutation of the four is drawn first, then the factors (only for
 * the enabled ones), then the ops are applied in the permuted order.
 */
import { checkImage, type ImageTransform } from './image.js';
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation } from './pixel-ops.js';

export interface ColorJitterOptions {
  brightness?: number;
  contrast?: number;
  saturation?: number;
  hue?: number;
}

export function colorJitter(o: ColorJitterOptions): ImageTransform {
  const known = new Set(['brightness', 'contrast', 'saturation', 'hue']);
  for (const k of Object.keys(o)) {
    if (!known.has(k)) throw new Error(`colorJitter: unknown option '${k}' (expected brightness, contrast, saturation, hue)`);
  }
  for (const k of ['brightness', 'contrast', 'saturation'] as const) {
    const v = o[k] ?? 0;
    if (!(v >= 0) || !Number.isFinite(v)) throw new Error(`colorJitter: ${k} must be a finite number >= 0, got ${v}`);
  }
  const hue = o.hue ?? 0;
  if (!(hue >= 0 && hue <= 0.5)) throw new Error(`colorJitter: hue must be in [0, 0.5], got ${hue}`);
  const b = o.brightness ?? 0;
  const c = o.contrast ?? 0;
  const s = o.saturation ?? 0;
  return (img, rng) => {
    checkImage(img, 'colorJitter');
    const order = rng.shuffle([0, 1, 2, 3]);
    const bf = b > 0 ? rng.uniform(Math.max(0, 1 - b), 1 + b) : undefined;
    const cf = c > 0 ? rng.uniform(Math.max(0, 1 - c), 1 + c) : undefined;
    const sf = s > 0 ? rng.uniform(Math.max(0, 1 - s), 1 + s) : undefined;
    const hf = hue > 0 ? rng.uniform(-hue, hue) : undefined;
    let out = img;
    for (const id of order) {
      if (id === 0 && bf !== undefined) out = adjustBrightness(out, bf);
      else if (id === 1 && cf !== undefined) out = adjustContrast(out, cf);
      else if (id === 2 && sf !== undefined) out = adjustSaturation(out, sf);
      else if (id === 3 && hf !== undefined) out = adjustHue(out, hf);
    }
    return out;
  };
}
