import { flipLeftRight } from '@tfvision/coco';
import { checkImage, type ImageU8, type ImageTransform } from './image.js';

export function horizontalFlip(img: ImageU8): ImageU8 {
  return { ...img, data: flipLeftRight(img.data, img.width, img.height, img.channels) };
}

/** Flips left-right with probability p (one uniform draw per image, flipped when u < p, as torchvision). */
export function randomHorizontalFlip(p = 0.5): ImageTransform {
  if (!(p >= 0 && p <= 1)) throw new Error(`randomHorizontalFlip: p must be in [0, 1], got ${p}`);
  return (img, rng) => {
    checkImage(img, 'randomHorizontalFlip');
    return rng.next() < p ? horizontalFlip(img) : img;
  };
}
