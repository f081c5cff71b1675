/**
 * RandAugment (Cubuk et al. 2020) with torchvision's semantics: numOps times, pick one of the 14
 * ops (Identity included, Invert not) uniformly, use bin `magnitude` of numMagnitudeBins, and
 * draw a sign only for signed ops.
 */
import { checkImage, type ImageTransform } from './image.js';
import { applyAugmentOp, augmentationSpace } from './auto-augment-ops.js';

export interface RandAugmentOptions {
  numOps?: number;
  magnitude?: number;
  numMagnitudeBins?: number;
}

export function randAugment(o: RandAugmentOptions = {}): ImageTransform {
  const numOps = o.numOps ?? 2;
  const magnitude = o.magnitude ?? 9;
  const numBins = o.numMagnitudeBins ?? 31;
  if (!Number.isInteger(numOps) || numOps < 0) throw new Error(`randAugment: numOps must be an integer >= 0, got ${numOps}`);
  if (!Number.isInteger(numBins) || numBins < 2) throw new Error(`randAugment: numMagnitudeBins must be an integer >= 2, got ${numBins}`);
  if (!Number.isInteger(magnitude) || magnitude < 0 || magnitude >= numBins) {
    throw new Error(`randAugment: magnitude must be an integer bin in 0..${numBins - 1}, got ${magnitude}`);
  }
  return (img, rng) => {
    checkImage(img, 'randAugment');
    const space = augmentationSpace(numBins, img.height, img.width, 'randaugment');
    const ops = [...space.keys()];
    let out = img;
    for (let k = 0; k < numOps; k++) {
      const op = ops[rng.int(ops.length)];
      const meta = space.get(op)!;
      let m = meta.magnitudes ? meta.magnitudes[magnitude] : 0;
      if (meta.signed && rng.int(2) === 1) m = -m;
      out = applyAugmentOp(out, op, m);
    }
    return out;
  };
}
