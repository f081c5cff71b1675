/**
 * torchvision's AnchorGenerator (models/detection/anchor_utils.py, 0.14) with the FPN defaults
 * of faster_rcnn.py (_default_anchorgen): one size per level 32..512, ratios (0.5, 1, 2).
 *
 * Base anchors in float32: h = sqrt(ratio), w = 1/h, ws = w·size, hs = h·size (ratio-major,
 * size-minor), then round([-ws, -hs, ws, hs] / 2) half to even. Stride per level and axis =
 * paddedSize // featureSize (so an odd 13x17 P6 of an 800x1088 batch has strides (61, 64)).
 * Anchor = base + (x·strideW, y·strideH), no half-stride offset, ordered level, y, x, anchor.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface AnchorGeneratorOptions {
  /** Anchor sizes per level (default [[32], [64], [128], [256], [512]]). */
  sizes?: readonly (readonly number[])[];
  /** Aspect ratios h/w per level, or one list for every level (default [0.5, 1, 2]). */
  aspectRatios?: readonly (readonly number[])[] | readonly number[];
}

/** [height, width]. */
export type Size2 = readonly [number, number];

const FPN_SIZES = [[32], [64], [128], [256], [512]] as const;
const FPN_RATIOS = [0.5, 1, 2] as const;

function roundHalfEven(v: number): number {
  const lo = Math.floor(v);
  const frac = v - lo;
  if (frac > 0.5) return lo + 1;
  if (frac < 0.5) return lo;
  return lo % 2 === 0 ? lo : lo + 1;
}

function checkPositive(op: string, name: string, values: readonly number[]): void {
  for (const v of values) if (!(v > 0) || !Number.isFinite(v)) throw new Error(`${op}: ${name} must be positive and finite, got ${v}`);
}

function checkSize(name: string, s: Size2): void {
  if (!Array.isArray(s) || s.length !== 2 || !s.every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error(`AnchorGenerator: ${name} must be [height, width] of positive integers, got ${JSON.stringify(s)}`);
  }
}

/** Zero-centred base anchors of one level, [A * 4] as (x1, y1, x2, y2), ratio-major. */
export function generateBaseAnchors(sizes: readonly number[], aspectRatios: readonly number[]): Float32Array {
  checkPositive('generateBaseAnchors', 'sizes', sizes);
  checkPositive('generateBaseAnchors', 'aspectRatios', aspectRatios);
  const out = new Float32Array(sizes.length * aspectRatios.length * 4);
  let k = 0;
  for (const ratio of aspectRatios) {
    const h = Math.fround(Math.sqrt(Math.fround(ratio)));
    const w = Math.fround(1 / h);
    for (const size of sizes) {
      const ws = Math.fround(w * Math.fround(size));
      const hs = Math.fround(h * Math.fround(size));
      // Halving is exact in float32, so the rounding sees torch's values.
      out[k++] = roundHalfEven(-ws / 2);
      out[k++] = roundHalfEven(-hs / 2);
      out[k++] = roundHalfEven(ws / 2);
      out[k++] = roundHalfEven(hs / 2);
    }
  }
  return out;
}

export class AnchorGenerator {
  readonly sizes: readonly (readonly number[])[];
  readonly aspectRatios: readonly (readonly number[])[];
  /** Base anchors per level, [A_l * 4]. */
  readonly cellAnchors: readonly Float32Array[];

  constructor(options: AnchorGeneratorOptions = {}) {
    const sizes = options.sizes ?? FPN_SIZES;
    if (!Array.isArray(sizes) || sizes.length === 0 || !sizes.every((s) => Array.isArray(s) && s.length > 0)) {
      throw new Error(`AnchorGenerator: sizes must be a non-empty list of non-empty lists, got ${JSON.stringify(sizes)}`);
    }
    const ratiosIn = options.aspectRatios ?? FPN_RATIOS;
    const ratios: readonly (readonly number[])[] =
      ratiosIn.length > 0 && ratiosIn.every((r) => typeof r === 'number') ? sizes.map(() => ratiosIn as readonly number[]) : (ratiosIn as readonly (readonly number[])[]);
    if (ratios.length !== sizes.length || !ratios.every((r) => Array.isArray(r) && r.length > 0)) {
      throw new Error(`AnchorGenerator: aspectRatios must have one non-empty list per level (${sizes.length}), got ${JSON.stringify(ratiosIn)}`);
    }
    this.sizes = sizes;
    this.aspectRatios = ratios;
    this.cellAnchors = sizes.map((s, l) => generateBaseAnchors(s, ratios[l]));
  }

  get numLevels(): number {
    return this.sizes.length;
  }

  /** Anchors per feature-map position, per level (torchvision num_anchors_per_location). */
  numAnchorsPerLocation(): number[] {
    return this.sizes.map((s, l) => s.length * this.aspectRatios[l].length);
  }

  /** Anchors per level, H·W·A, in output order (what the RPN splits its top-k by). */
  numAnchorsPerLevel(featureSizes: readonly Size2[]): number[] {
    this.checkLevels(featureSizes);
    const perLocation = this.numAnchorsPerLocation();
    return featureSizes.map(([h, w], l) => h * w * perLocation[l]);
  }

  /** Strides [strideH, strideW] per level: paddedSize // featureSize. */
  strides(imageSize: Size2, featureSizes: readonly Size2[]): [number, number][] {
    checkSize('imageSize', imageSize);
    this.checkLevels(featureSizes);
    return featureSizes.map(([h, w]) => {
      if (h > imageSize[0] || w > imageSize[1]) {
        throw new Error(`AnchorGenerator: feature size ${h}x${w} exceeds the image size ${imageSize[0]}x${imageSize[1]}`);
      }
      return [Math.floor(imageSize[0] / h), Math.floor(imageSize[1] / w)];
    });
  }

  /** Every anchor of one image on host, [sumAnchors * 4]. */
  anchorsHost(imageSize: Size2, featureSizes: readonly Size2[]): Float32Array {
    const strides = this.strides(imageSize, featureSizes);
    const total = this.numAnchorsPerLevel(featureSizes).reduce((a, b) => a + b, 0);
    const out = new Float32Array(total * 4);
    let k = 0;
    featureSizes.forEach(([fh, fw], l) => {
      const base = this.cellAnchors[l];
      const [sh, sw] = strides[l];
      for (let y = 0; y < fh; y++) {
        const dy = y * sh;
        for (let x = 0; x < fw; x++) {
          const dx = x * sw;
          for (let a = 0; a < base.length; a += 4) {
            out[k++] = dx + base[a];
            out[k++] = dy + base[a + 1];
            out[k++] = dx + base[a + 2];
            out[k++] = dy + base[a + 3];
          }
        }
      }
    });
    return out;
  }

  /**
   * Anchors for a padded batch: one [sumAnchors, 4] tensor per image (all equal, as torchvision).
   * @param imageSize the padded batch size [H, W]
   * @param featureSizes [H, W] of each level's feature map
   */
  anchorsForSizes(imageSize: Size2, featureSizes: readonly Size2[], numImages = 1): tf.Tensor2D[] {
    if (!Number.isInteger(numImages) || numImages < 1) throw new Error(`AnchorGenerator: numImages must be a positive integer, got ${numImages}`);
    const host = this.anchorsHost(imageSize, featureSizes);
    const rows = host.length / 4;
    return Array.from({ length: numImages }, (_, i) => tf.tensor2d(i === 0 ? host : host.slice(), [rows, 4], 'float32'));
  }

  /**
   * torchvision's forward on NHWC tensors: the padded batch [N, H, W, C] and one [N, h, w, C]
   * map per level; returns N tensors [sumAnchors, 4].
   */
  forward(images: tf.Tensor4D, featureMaps: readonly tf.Tensor4D[]): tf.Tensor2D[] {
    if (!(images instanceof tf.Tensor) || images.rank !== 4) throw new Error(`AnchorGenerator: images must be a rank-4 NHWC tensor, got rank ${images instanceof tf.Tensor ? images.rank : typeof images}`);
    featureMaps.forEach((f, l) => {
      if (!(f instanceof tf.Tensor) || f.rank !== 4) throw new Error(`AnchorGenerator: featureMaps[${l}] must be a rank-4 NHWC tensor, got rank ${f instanceof tf.Tensor ? f.rank : typeof f}`);
    });
    return this.anchorsForSizes(
      [images.shape[1], images.shape[2]],
      featureMaps.map((f) => [f.shape[1], f.shape[2]] as const),
      images.shape[0],
    );
  }

  private checkLevels(featureSizes: readonly Size2[]): void {
    if (!Array.isArray(featureSizes) || featureSizes.length !== this.sizes.length) {
      throw new Error(`AnchorGenerator: expected ${this.sizes.length} feature sizes (one per level), got ${Array.isArray(featureSizes) ? featureSizes.length : typeof featureSizes}`);
    }
    featureSizes.forEach((s, l) => checkSize(`featureSizes[${l}]`, s));
  }
}
