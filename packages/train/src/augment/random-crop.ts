/**
 * torchvision RandomCrop(size, padding, fill=0): zero-pad every side by `padding`, then take a
 * size x size crop at a uniformly drawn position — the CIFAR / Fashion-MNIST training crop.
 */
import type { Rng } from '../rng.js';
import { checkImage, createImage, type ImageTransform } from './image.js';

export function randomCrop(size: number, padding = 0): ImageTransform {
  if (!Number.isInteger(size) || size < 1) throw new Error(`randomCrop: size must be a positive integer, got ${size}`);
  if (!Number.isInteger(padding) || padding < 0) throw new Error(`randomCrop: padding must be an integer >= 0, got ${padding}`);
  return (img, rng: Rng) => {
    checkImage(img, 'randomCrop');
    const { height: H, width: W, channels: C } = img;
    const ph = H + 2 * padding;
    const pw = W + 2 * padding;
    if (ph < size || pw < size) throw new Error(`randomCrop: crop ${size}x${size} is larger than the padded ${ph}x${pw} image`);
    const top = rng.int(ph - size + 1) - padding; // crop origin in unpadded coordinates
    const left = rng.int(pw - size + 1) - padding;
    const out = createImage(size, size, C);
    // Copy the overlap of the crop window with the image; the rest stays 0 (the padding).
    const y0 = Math.max(0, -top);
    const y1 = Math.min(size, H - top);
    const x0 = Math.max(0, -left);
    const x1 = Math.min(size, W - left);
    if (x1 <= x0) return out;
    for (let y = y0; y < y1; y++) {
      const src = ((top + y) * W + left + x0) * C;
      out.data.set(img.data.subarray(src, src + (x1 - x0) * C), (y * size + x0) * C);
    }
    return out;
  };
}
