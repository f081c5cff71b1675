/**
 * Evaluation preprocessing as timm's transforms_factory (non-train path): resize the short side
 * to floor(crop / cropPct) keeping the aspect (long side = int(short·long/short) as torchvision),
 * then centre crop (offsets round((size - crop) / 2), zero padding when the image is smaller).
 */
import { checkImage, createImage, roundHalfEven, type ImageU8, type ImageTransform } from './image.js';
import { resize, resizeRegion, type Interpolation } from './resample.js';

/** torchvision's Resize(int) output size: short side -> `size`, long side scaled and truncated. */
export function shortSideSize(height: number, width: number, size: number): [number, number] {
  if (width <= height) return [Math.trunc((size * height) / width), size];
  return [size, Math.trunc((size * width) / height)];
}

export function centerCrop(img: ImageU8, cropHeight: number, cropWidth: number): ImageU8 {
  const { height: h, width: w, channels: c } = img;
  const offset = (size: number, crop: number): number =>
    crop > size ? -Math.floor((crop - size) / 2) : roundHalfEven((size - crop) / 2);
  const top = offset(h, cropHeight);
  const left = offset(w, cropWidth);
  const out = createImage(cropHeight, cropWidth, c);
  for (let y = 0; y < cropHeight; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= h) continue;
    const x0 = Math.max(0, -left);
    const x1 = Math.min(cropWidth, w - left);
    if (x1 <= x0) continue;
    const from = (sy * w + left + x0) * c;
    out.data.set(img.data.subarray(from, from + (x1 - x0) * c), (y * cropWidth + x0) * c);
  }
  return out;
}

export function resizeShortCenterCrop(
  crop: number,
  cropPct: number,
  interpolation: Interpolation = 'bilinear',
  antialias = false,
): ImageTransform {
  if (!Number.isInteger(crop) || crop < 1) throw new Error(`resizeShortCenterCrop: crop must be a positive integer, got ${crop}`);
  if (!(cropPct > 0) || !Number.isFinite(cropPct)) throw new Error(`resizeShortCenterCrop: cropPct must be > 0, got ${cropPct}`);
  const scaleSize = Math.floor(crop / cropPct);
  return (img) => {
    checkImage(img, 'resizeShortCenterCrop');
    const [h, w] = shortSideSize(img.height, img.width, scaleSize);
    if (h < crop || w < crop) return centerCrop(resize(img, h, w, interpolation, { antialias }), crop, crop);
    const window = { top: roundHalfEven((h - crop) / 2), left: roundHalfEven((w - crop) / 2), height: crop, width: crop };
    return resizeRegion(img, 0, 0, img.height, img.width, h, w, interpolation, { antialias, window });
  };
}
