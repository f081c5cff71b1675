/**
 * AutoAugment (Cubuk et al. 2019) with torchvision's ImageNet policy: 25 sub-policies of two
 * (op, probability, magnitude bin) steps, 10 magnitude bins. Per image: one sub-policy index,
 * two uniforms (step applied when u <= p) and two signs are drawn, in torchvision's order.
 */
import { checkImage, type ImageTransform } from './image.js';
import { applyAugmentOp, augmentationSpace, type AugmentOpName } from './auto-augment-ops.js';

export interface PolicyStep {
  op: AugmentOpName;
  prob: number;
  /** Magnitude bin, null for ops without a magnitude. */
  bin: number | null;
}
export type SubPolicy = [PolicyStep, PolicyStep];

type Row = [AugmentOpName, number, number | null, AugmentOpName, number, number | null];

const IMAGENET_ROWS: Row[] = [
  ['Posterize', 0.4, 8, 'Rotate', 0.6, 9],
  ['Solarize', 0.6, 5, 'AutoContrast', 0.6, null],
  ['Equalize', 0.8, null, 'Equalize', 0.6, null],
  ['Posterize', 0.6, 7, 'Posterize', 0.6, 6],
  ['Equalize', 0.4, null, 'Solarize', 0.2, 4],
  ['Equalize', 0.4, null, 'Rotate', 0.8, 8],
  ['Solarize', 0.6, 3, 'Equalize', 0.6, null],
  ['Posterize', 0.8, 5, 'Equalize', 1.0, null],
  ['Rotate', 0.2, 3, 'Solarize', 0.6, 8],
  ['Equalize', 0.6, null, 'Posterize', 0.4, 6],
  ['Rotate', 0.8, 8, 'Color', 0.4, 0],
  ['Rotate', 0.4, 9, 'Equalize', 0.6, null],
  ['Equalize', 0.0, null, 'Equalize', 0.8, null],
  ['Invert', 0.6, null, 'Equalize', 1.0, null],
  ['Color', 0.6, 4, 'Contrast', 1.0, 8],
  ['Rotate', 0.8, 8, 'Color', 1.0, 2],
  ['Color', 0.8, 8, 'Solarize', 0.8, 7],
  ['Sharpness', 0.4, 7, 'Invert', 0.6, null],
  ['ShearX', 0.6, 5, 'Equalize', 1.0, null],
  ['Color', 0.4, 0, 'Equalize', 0.6, null],
  ['Equalize', 0.4, null, 'Solarize', 0.2, 4],
  ['Solarize', 0.6, 5, 'AutoContrast', 0.6, null],
  ['Invert', 0.6, null, 'Equalize', 1.0, null],
  ['Color', 0.6, 4, 'Contrast', 1.0, 8],
  ['Equalize', 0.8, null, 'Equalize', 0.6, null],
];

export const IMAGENET_POLICY: readonly SubPolicy[] = IMAGENET_ROWS.map(
  ([o1, p1, b1, o2, p2, b2]) => [
    { op: o1, prob: p1, bin: b1 },
    { op: o2, prob: p2, bin: b2 },
  ],
);

const NUM_BINS = 10;

export function autoAugment(policy: 'imagenet' = 'imagenet'): ImageTransform {
  if (policy !== 'imagenet') throw new Error(`autoAugment: unknown policy '${String(policy)}' (only 'imagenet' is implemented)`);
  const subPolicies = IMAGENET_POLICY;
  return (img, rng) => {
    checkImage(img, 'autoAugment');
    const id = rng.int(subPolicies.length);
    const probs = [rng.next(), rng.next()];
    const signs = [rng.int(2), rng.int(2)];
    const space = augmentationSpace(NUM_BINS, img.height, img.width, 'autoaugment');
    let out = img;
    subPolicies[id].forEach((step, i) => {
      if (probs[i] > step.prob) return;
      const meta = space.get(step.op);
      if (!meta) throw new Error(`autoAugment: op '${step.op}' has no magnitude table`);
      let magnitude = meta.magnitudes && step.bin !== null ? meta.magnitudes[step.bin] : 0;
      if (meta.signed && signs[i] === 0) magnitude = -magnitude;
      out = applyAugmentOp(out, step.op, magnitude);
    });
    return out;
  };
}
