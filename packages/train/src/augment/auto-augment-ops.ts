/**
 * The operation set shared by AutoAugment and RandAugment, with torchvision's names, magnitude
 * tables (`_augmentation_space`) and application rules (`_apply_op`).
 */
import type { ImageU8 } from './image.js';
import { rotate, shearX, shearY, translateX, translateY } from './geometric-ops.js';
import {
  adjustBrightness,
  adjustContrast,
  adjustSaturation,
  adjustSharpness,
  autocontrast,
  equalize,
  invert,
  posterize,
  solarize,
} from './pixel-ops.js';

export const AUGMENT_OP_NAMES = [
  'Identity',
  'ShearX',
  'ShearY',
  'TranslateX',
  'TranslateY',
  'Rotate',
  'Brightness',
  'Color',
  'Contrast',
  'Sharpness',
  'Posterize',
  'Solarize',
  'AutoContrast',
  'Equalize',
  'Invert',
] as const;
export type AugmentOpName = (typeof AUGMENT_OP_NAMES)[number];

export interface OpMagnitudes {
  /** One value per bin, or null for ops without a magnitude. */
  magnitudes: number[] | null;
  /** Whether a random sign is applied. */
  signed: boolean;
}

const f32 = Math.fround;

/** torch.linspace in float32 (ATen fills the first half from the start and the second from the end). */
export function linspaceF32(start: number, end: number, steps: number): number[] {
  if (steps === 1) return [f32(start)];
  const s = f32(start);
  const e = f32(end);
  const step = f32(f32(e - s) / (steps - 1));
  const half = Math.floor(steps / 2);
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    out.push(i < half ? f32(s + f32(step * i)) : f32(e - f32(step * (steps - i - 1))));
  }
  return out;
}

/** Posterize bits per bin: 8 - round(i / ((numBins - 1) / 4)) with round half to even. */
function posterizeBits(numBins: number): number[] {
  const out: number[] = [];
  const div = f32((numBins - 1) / 4);
  for (let i = 0; i < numBins; i++) {
    const q = f32(i / div);
    const r = Math.round(q);
    const even = Math.abs(q - Math.trunc(q)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
    out.push(8 - even);
  }
  return out;
}

/** torchvision's `_augmentation_space(num_bins, (height, width))`; `withIdentity` for RandAugment, `withInvert` for AutoAugment. */
export function augmentationSpace(
  numBins: number,
  height: number,
  width: number,
  set: 'autoaugment' | 'randaugment',
): Map<AugmentOpName, OpMagnitudes> {
  const m = new Map<AugmentOpName, OpMagnitudes>();
  if (set === 'randaugment') m.set('Identity', { magnitudes: null, signed: false });
  m.set('ShearX', { magnitudes: linspaceF32(0, 0.3, numBins), signed: true });
  m.set('ShearY', { magnitudes: linspaceF32(0, 0.3, numBins), signed: true });
  m.set('TranslateX', { magnitudes: linspaceF32(0, (150 / 331) * width, numBins), signed: true });
  m.set('TranslateY', { magnitudes: linspaceF32(0, (150 / 331) * height, numBins), signed: true });
  m.set('Rotate', { magnitudes: linspaceF32(0, 30, numBins), signed: true });
  m.set('Brightness', { magnitudes: linspaceF32(0, 0.9, numBins), signed: true });
  m.set('Color', { magnitudes: linspaceF32(0, 0.9, numBins), signed: true });
  m.set('Contrast', { magnitudes: linspaceF32(0, 0.9, numBins), signed: true });
  m.set('Sharpness', { magnitudes: linspaceF32(0, 0.9, numBins), signed: true });
  m.set('Posterize', { magnitudes: posterizeBits(numBins), signed: false });
  m.set('Solarize', { magnitudes: linspaceF32(255, 0, numBins), signed: false });
  m.set('AutoContrast', { magnitudes: null, signed: false });
  m.set('Equalize', { magnitudes: null, signed: false });
  if (set === 'autoaugment') m.set('Invert', { magnitudes: null, signed: false });
  return m;
}

/** Applies one named op with an already signed magnitude (torchvision's `_apply_op`). */
export function applyAugmentOp(img: ImageU8, op: AugmentOpName, magnitude: number): ImageU8 {
  switch (op) {
    case 'Identity':
      return img;
    case 'ShearX':
      return shearX(img, magnitude);
    case 'ShearY':
      return shearY(img, magnitude);
    case 'TranslateX':
      return translateX(img, magnitude);
    case 'TranslateY':
      return translateY(img, magnitude);
    case 'Rotate':
      return rotate(img, magnitude);
    case 'Brightness':
      return adjustBrightness(img, 1 + magnitude);
    case 'Color':
      return adjustSaturation(img, 1 + magnitude);
    case 'Contrast':
      return adjustContrast(img, 1 + magnitude);
    case 'Sharpness':
      return adjustSharpness(img, 1 + magnitude);
    case 'Posterize':
      return posterize(img, Math.trunc(magnitude));
    case 'Solarize':
      return solarize(img, magnitude);
    case 'AutoContrast':
      return autocontrast(img);
    case 'Equalize':
      return equalize(img);
    case 'Invert':
      return invert(img);
    default: {
      const never: never = op;
      throw new Error(`applyAugmentOp: unknown op '${String(never)}'`);
    }
  }
}
