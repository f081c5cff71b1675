/**
 * detectron2's DefaultAnchorGenerator (modeling/anchor_generator.py @02b5c4e): per level, cell
 * anchors size-major then ratio-minor with w = sqrt(size² / ratio), h = ratio · w and corners
 * ±w/2, ±h/2 computed in float64 and stored as float32 without rounding (torchvision rounds
 * them to integers); shifts k · stride + offset · stride with the level's declared stride (4..64
 * for p2..p6, not padded size // feature size) and detectron2's default offset 0. Anchor =
 * shift + cell anchor in float32, ordered level, y, x, anchor, as torchvision's.
 */
const OP = 'Detectron2AnchorGenerator';

export interface Detectron2AnchorOptions {
  /** Sizes per level (default [[32], [64], [128], [256], [512]]). */
  sizes?: readonly (readonly number[])[];
  /** Aspect ratios h/w for every level (default [0.5, 1, 2]). */
  aspectRatios?: readonly number[];
  /** Stride of each level (default [4, 8, 16, 32, 64]). */
  strides?: readonly number[];
  /** Centre of the first anchor in strides (ANCHOR_GENERATOR.OFFSET, default 0). */
  offset?: number;
}

/** Zero-centred cell anchors of one level, [A * 4] as (x1, y1, x2, y2). */
export function detectron2CellAnchors(sizes: readonly number[], aspectRatios: readonly number[]): Float32Array {
  const out = new Float32Array(sizes.length * aspectRatios.length * 4);
  let k = 0;
  for (const size of sizes) {
    if (!(size > 0) || !Number.isFinite(size)) throw new Error(`${OP}: sizes must be positive and finite, got ${size}`);
    const area = size ** 2;
    for (const ratio of aspectRatios) {
      if (!(ratio > 0) || !Number.isFinite(ratio)) throw new Error(`${OP}: aspectRatios must be positive and finite, got ${ratio}`);
      const w = Math.sqrt(area / ratio);
      const h = ratio * w;
      out[k++] = -w / 2;
      out[k++] = -h / 2;
      out[k++] = w / 2;
      out[k++] = h / 2;
    }
  }
  return out;
}

export class Detectron2AnchorGenerator {
  readonly sizes: readonly (readonly number[])[];
  readonly aspectRatios: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly cellAnchors: readonly Float32Array[];

  constructor(o: Detectron2AnchorOptions = {}) {
    this.sizes = o.sizes ?? [[32], [64], [128], [256], [512]];
    this.aspectRatios = o.aspectRatios ?? [0.5, 1, 2];
    this.strides = o.strides ?? [4, 8, 16, 32, 64];
    this.offset = o.offset ?? 0;
    if (this.sizes.length !== this.strides.length) throw new Error(`${OP}: sizes has ${this.sizes.length} levels but strides ${this.strides.length}`);
    if (!(this.offset >= 0 && this.offset < 1)) throw new Error(`${OP}: offset must be in [0, 1), got ${this.offset}`);
    for (const s of this.strides) if (!(s > 0)) throw new Error(`${OP}: strides must be positive, got ${s}`);
    this.cellAnchors = this.sizes.map((s) => detectron2CellAnchors(s, this.aspectRatios));
  }

  get numLevels(): number {
    return this.sizes.length;
  }

  /** Anchors per location (one shared RPN head needs the same count on every level). */
  numAnchorsPerLocation(): number[] {
    return this.cellAnchors.map((c) => c.length / 4);
  }

  numAnchorsPerLevel(featureSizes: readonly (readonly [number, number])[]): number[] {
    this.checkLevels(featureSizes);
    return featureSizes.map(([h, w], l) => h * w * (this.cellAnchors[l].length / 4));
  }

  /** Every anchor of one image, row-major [sum H·W·A, 4]. */
  anchorsHost(featureSizes: readonly (readonly [number, number])[]): Float32Array {
    const total = this.numAnchorsPerLevel(featureSizes).reduce((a, b) => a + b, 0);
    const out = new Float32Array(4 * total);
    let k = 0;
    featureSizes.forEach(([fh, fw], l) => {
      const base = this.cellAnchors[l];
      const stride = this.strides[l];
      const start = this.offset * stride;
      for (let y = 0; y < fh; y++) {
        const sy = Math.fround(start + y * stride);
        for (let x = 0; x < fw; x++) {
          const sx = Math.fround(start + x * stride);
          for (let a = 0; a < base.length; a += 4) {
            out[k++] = sx + base[a];
            out[k++] = sy + base[a + 1];
            out[k++] = sx + base[a + 2];
            out[k++] = sy + base[a + 3];
          }
        }
      }
    });
    return out;
  }

  private checkLevels(featureSizes: readonly (readonly [number, number])[]): void {
    if (featureSizes.length !== this.sizes.length) throw new Error(`${OP}: expected ${this.sizes.length} feature sizes (one per level), got ${featureSizes.length}`);
    featureSizes.forEach((s, l) => {
      if (!(Number.isInteger(s[0]) && Number.isInteger(s[1]) && s[0] > 0 && s[1] > 0)) throw new Error(`${OP}: featureSizes[${l}] must be positive integers, got ${JSON.stringify(s)}`);
    });
  }
}
