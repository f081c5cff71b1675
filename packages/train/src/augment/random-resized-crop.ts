/**
 * RandomResizedCrop with torchvision's parameter sampling (transforms.RandomResizedCrop.get_params):
 * up to 10 tries of area ~ U(scale)·H·W and log-aspect ~ U(log ratio); w = round(sqrt(area·r)),
 * h = round(sqrt(area/r)) (round half to even like Python); accepted when it fits; otherwise a
 * centre crop with the aspect clamped to the ratio range.
 */
import type { Rng } from '../rng.js';
import { checkImage, roundHalfEven, type ImageTransform } from './image.js';
import { resizeRegion, type Interpolation } from './resample.js';

export interface CropBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

export interface RandomResizedCropOptions {
  scale?: [number, number];
  ratio?: [number, number];
  interpolation?: Interpolation;
  /** PIL-style antialiasing when the crop is downscaled; default false (torchvision's tensor path). */
  antialias?: boolean;
}

export function sizePair(size: number | [number, number], where: string): [number, number] {
  const pair: [number, number] = typeof size === 'number' ? [size, size] : size;
  if (pair.length !== 2 || !pair.every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error(`${where}: size must be a positive integer or [height, width], got ${JSON.stringify(size)}`);
  }
  return pair;
}

export function randomResizedCropParams(
  height: number,
  width: number,
  scale: [number, number],
  ratio: [number, number],
  rng: Rng,
): CropBox {
  const area = height * width;
  const logLo = Math.log(ratio[0]);
  const logHi = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logLo, logHi));
    const w = roundHalfEven(Math.sqrt(targetArea * aspect));
    const h = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = rng.int(height - h + 1);
      const left = rng.int(width - w + 1);
      return { top, left, height: h, width: w };
    }
  }
  const inRatio = width / height;
  const minRatio = Math.min(ratio[0], ratio[1]);
  const maxRatio = Math.max(ratio[0], ratio[1]);
  let w: number;
  let h: number;
  if (inRatio < minRatio) {
    w = width;
    h = roundHalfEven(w / minRatio);
  } else if (inRatio > maxRatio) {
    h = height;
    w = roundHalfEven(h * maxRatio);
  } else {
    w = width;
    h = height;
  }
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
}

export function randomResizedCrop(size: number | [number, number], opts: RandomResizedCropOptions = {}): ImageTransform {
  const [outH, outW] = sizePair(size, 'randomResizedCrop');
  const scale = opts.scale ?? [0.08, 1.0];
  const ratio = opts.ratio ?? [3 / 4, 4 / 3];
  const interpolation = opts.interpolation ?? 'bilinear';
  const antialias = opts.antialias === true;
  if (!(scale[0] > 0 && scale[0] <= scale[1] && scale[1] <= 1)) {
    throw new Error(`randomResizedCrop: scale must satisfy 0 < lo <= hi <= 1, got [${scale.join(', ')}]`);
  }
  if (!(ratio[0] > 0 && ratio[0] <= ratio[1])) {
    throw new Error(`randomResizedCrop: ratio must satisfy 0 < lo <= hi, got [${ratio.join(', ')}]`);
  }
  return (img, rng) => {
    checkImage(img, 'randomResizedCrop');
    const box = randomResizedCropParams(img.height, img.width, scale, ratio, rng);
    return resizeRegion(img, box.top, box.left, box.height, box.width, outH, outW, interpolation, { antialias });
  };
}
