import { checkImage, createImage, type ImageU8, type Transform } from './image.js';

export function horizontalFlip(img: ImageU8): ImageU8 {
  const { height, width, channels: c } = img;
  const out = createImage(height, width, c);
  const s = img.data;
  const d = out.data;
  for (let y = 0; y < height; y++) {
    const row = y * width * c;
    for (let x = 0; x < width; x++) {
      const from = row + x * c;
      const to = row + (width - 1 - x) * c;
      for (let ch = 0; ch < c; ch++) d[to + ch] = s[from + ch];
    }
  }
  return out;
}

/** Flips left-right with probability p (one uniform draw per image, flipped when u < p, as torchvision). */
export function randomHorizontalFlip(p = 0.5): Transform {
  if (!(p >= 0 && p <= 1)) throw new Error(`randomHorizontalFlip: p must be in [0, 1], got ${p}`);
  return (img, rng) => {
    checkImage(img, 'randomHorizontalFlip');
    return rng.next() < p ? horizontalFlip(img) : img;
  };
}
