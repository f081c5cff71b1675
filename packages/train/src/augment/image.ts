/** Helpers shared by the augmentations; the image and transform types are @tfvision/coco's. */
import type { ImageU8, SyncTransform } from '@tfvision/coco';
import type { Rng } from '../rng.js';

export type { ImageU8 } from '@tfvision/coco';

/**
 * An augmentation: synchronous, pure, all randomness from `rng` (so results are reproducible).
 * Chain them with @tfvision/coco's `compose`, as detection transforms are.
 */
export type ImageTransform = SyncTransform<ImageU8, ImageU8, Rng>;

export function createImage(height: number, width: number, channels: 1 | 3): ImageU8 {
  return { data: new Uint8Array(height * width * channels), height, width, channels };
}

/** Throws a clear error when an ImageU8 is inconsistent (wrong length, bad channel count). */
export function checkImage(img: ImageU8, where: string): void {
  if (img.channels !== 1 && img.channels !== 3) {
    throw new Error(`${where}: image channels must be 1 or 3, got ${img.channels}`);
  }
  if (!Number.isInteger(img.height) || !Number.isInteger(img.width) || img.height < 1 || img.width < 1) {
    throw new Error(`${where}: image size must be positive integers, got ${img.height}x${img.width}`);
  }
  const expected = img.height * img.width * img.channels;
  if (img.data.length !== expected) {
    throw new Error(`${where}: image data has ${img.data.length} bytes, expected ${img.height}*${img.width}*${img.channels} = ${expected}`);
  }
}

/** Rounds half to even, as torch.round and Python's round do. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  if (Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

/** Saturating float -> uint8 conversion that truncates like torch's `.to(torch.uint8)` after clamp. */
export function clampTruncU8(x: number): number {
  return x <= 0 ? 0 : x >= 255 ? 255 : Math.trunc(x);
}

/** Saturating float -> uint8 with rounding half to even (torchvision rounds after float ops that convert back). */
export function clampRoundU8(x: number): number {
  return x <= 0 ? 0 : x >= 255 ? 255 : roundHalfEven(x);
}
