/**
 * FPN level assignment of boxes (Lin et al., FPN, eqn. 1): k = floor(k0 + log2(sqrt(area) /
 * 224)), clamped to the pyramid, as an index from the finest level. Three published variants,
 * each reproduced in float32 step by step (they disagree only within ~1e-6 of a border):
 * - 'torchvision' (ops/poolers.py LevelMapper): floor(4 + log2(s/224) + 1e-6);
 * - 'detectron2' (modeling/poolers.py assign_boxes_to_levels): floor(4 + log2(s/224 + 1e-8));
 * - 'mmdet' (SingleRoIExtractor.map_roi_levels): floor(log2(s/56 + 1e-6)), 56 = the finest
 *   level's canonical size, 224 / 2^(4 - kMin).
 * An inverted box has a NaN size; the references cast NaN to a garbage int64 that matches no
 * level, so its pooled row stays 0. Here its level is -1, with the same effect.
 * Boxes are read on the host (the levels only select indices).
 */
export type LevelMapperVariant = 'torchvision' | 'detectron2' | 'mmdet';

export interface LevelMapperOptions {
  variant?: LevelMapperVariant;
  /** Box size that maps to canonicalLevel (224: ImageNet pre-training). */
  canonicalScale?: number;
  canonicalLevel?: number;
}

const { fround, floor, log2, sqrt, min, max } = Math;

export class LevelMapper {
  readonly variant: LevelMapperVariant;
  readonly canonicalScale: number;
  readonly canonicalLevel: number;

  constructor(
    readonly kMin: number,
    readonly kMax: number,
    options: LevelMapperOptions = {},
  ) {
    if (!(Number.isInteger(kMin) && Number.isInteger(kMax) && kMin <= kMax)) throw new Error(`LevelMapper: kMin and kMax must be integers with kMin <= kMax, got ${kMin} and ${kMax}`);
    this.variant = options.variant ?? 'torchvision';
    if (!['torchvision', 'detectron2', 'mmdet'].includes(this.variant)) throw new Error(`LevelMapper: variant must be torchvision, detectron2 or mmdet, got ${String(this.variant)}`);
    this.canonicalScale = options.canonicalScale ?? 224;
    this.canonicalLevel = options.canonicalLevel ?? 4;
  }

  /** Level index (0 = kMin) of one box of size s = sqrt(area), in float32 as the references. */
  levelOfSize(s: number): number {
    if (Number.isNaN(s)) return -1;
    let k: number;
    if (this.variant === 'torchvision') {
      k = floor(fround(fround(this.canonicalLevel + fround(log2(fround(s / this.canonicalScale)))) + fround(1e-6)));
    } else if (this.variant === 'detectron2') {
      k = floor(fround(this.canonicalLevel + fround(log2(fround(fround(s / this.canonicalScale) + fround(1e-8))))));
    } else {
      const finest = this.canonicalScale / 2 ** (this.canonicalLevel - this.kMin);
      return min(max(floor(fround(log2(fround(fround(s / finest) + fround(1e-6))))), 0), this.kMax - this.kMin);
    }
    return min(max(k, this.kMin), this.kMax) - this.kMin;
  }

  /** Levels of boxes given as flat (x1, y1, x2, y2) rows, or as (batch, x1, y1, x2, y2) RoI rows. */
  levels(boxes: ArrayLike<number>, rowLength: 4 | 5 = 4): Int32Array {
    const n = boxes.length / rowLength;
    const out = new Int32Array(n);
    const o = rowLength - 4;
    for (let i = 0; i < n; i++) {
      const r = i * rowLength + o;
      const area = fround(fround(boxes[r + 2] - boxes[r]) * fround(boxes[r + 3] - boxes[r + 1]));
      out[i] = this.levelOfSize(fround(sqrt(area)));
    }
    return out;
  }
}
