/**
 * Options of GeneralizedRCNNTransform with torchvision's FasterRCNN / MaskRCNN defaults
 * (models/detection/faster_rcnn.py, 0.14): min 800, max 1333, ImageNet mean and std, batches
 * padded to a multiple of 32. Unknown keys are an error naming the key.
 */

export interface RcnnTransformOptions {
  /** Short side target; a list is drawn from in training (one per image), the last one used in eval. Default 800. */
  minSize?: number | readonly number[];
  /** Long side cap. Default 1333. */
  maxSize?: number;
  /** Per-channel mean subtracted from [0, 1] images. Default ImageNet's [0.485, 0.456, 0.406]. */
  imageMean?: readonly number[];
  /** Per-channel divisor after the mean. Default ImageNet's [0.229, 0.224, 0.225]. */
  imageStd?: readonly number[];
  /** Padded batch sides are multiples of this (FPN strides need 32). Default 32. */
  sizeDivisible?: number;
  /** Resize every image to this [width, height] (torchvision's order) instead of the min/max rule. Default none. */
  fixedSize?: readonly [number, number];
  /** The training draw of minSize: a function giving values in [0, 1) (torch_choice's uniform). Default a SeededRng(0) stream. */
  random?: () => number;
}

export interface ResolvedRcnnTransformOptions {
  minSize: readonly number[];
  maxSize: number;
  imageMean: readonly number[];
  imageStd: readonly number[];
  sizeDivisible: number;
  fixedSize?: readonly [number, number];
}

export const RCNN_TRANSFORM_DEFAULTS = {
  minSize: [800],
  maxSize: 1333,
  imageMean: [0.485, 0.456, 0.406],
  imageStd: [0.229, 0.224, 0.225],
  sizeDivisible: 32,
} as const;

const KNOWN = ['minSize', 'maxSize', 'imageMean', 'imageStd', 'sizeDivisible', 'fixedSize', 'random'] as const;
const OP = 'GeneralizedRCNNTransform';

const positive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/** Checks the options and fills the defaults; errors name the option and the bad value. */
export function resolveRcnnTransformOptions(options: RcnnTransformOptions): ResolvedRcnnTransformOptions {
  for (const key of Object.keys(options)) {
    if (!(KNOWN as readonly string[]).includes(key)) throw new Error(`${OP}: unknown option '${key}' (known: ${KNOWN.join(', ')})`);
  }
  const minSize = options.minSize === undefined ? [...RCNN_TRANSFORM_DEFAULTS.minSize] : typeof options.minSize === 'number' ? [options.minSize] : [...options.minSize];
  if (minSize.length === 0 || !minSize.every(positive)) throw new Error(`${OP}: minSize must be a positive number or a non-empty list of them, got ${JSON.stringify(options.minSize)}`);
  const maxSize = options.maxSize ?? RCNN_TRANSFORM_DEFAULTS.maxSize;
  if (!positive(maxSize)) throw new Error(`${OP}: maxSize must be a positive number, got ${JSON.stringify(maxSize)}`);
  const imageMean = [...(options.imageMean ?? RCNN_TRANSFORM_DEFAULTS.imageMean)];
  if (imageMean.length === 0 || !imageMean.every(Number.isFinite)) throw new Error(`${OP}: imageMean must be a non-empty list of finite numbers, got ${JSON.stringify(options.imageMean)}`);
  const imageStd = [...(options.imageStd ?? RCNN_TRANSFORM_DEFAULTS.imageStd)];
  if (imageStd.length !== imageMean.length || !imageStd.every(positive)) {
    throw new Error(`${OP}: imageStd must be ${imageMean.length} positive numbers (one per imageMean entry), got ${JSON.stringify(options.imageStd)}`);
  }
  const sizeDivisible = options.sizeDivisible ?? RCNN_TRANSFORM_DEFAULTS.sizeDivisible;
  if (!Number.isInteger(sizeDivisible) || sizeDivisible < 1) throw new Error(`${OP}: sizeDivisible must be a positive integer, got ${JSON.stringify(sizeDivisible)}`);
  const { fixedSize } = options;
  if (fixedSize !== undefined && (!Array.isArray(fixedSize) || fixedSize.length !== 2 || !fixedSize.every((v) => Number.isInteger(v) && v > 0))) {
    throw new Error(`${OP}: fixedSize must be [width, height] of positive integers, got ${JSON.stringify(fixedSize)}`);
  }
  if (options.random !== undefined && typeof options.random !== 'function') throw new Error(`${OP}: random must be a function returning values in [0, 1), got ${typeof options.random}`);
  return { minSize, maxSize, imageMean, imageStd, sizeDivisible, ...(fixedSize ? { fixedSize: [fixedSize[0], fixedSize[1]] as const } : {}) };
}
