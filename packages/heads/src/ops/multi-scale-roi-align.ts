import * as tf from '@tensorflow/tfjs-core';
import { LevelMapper, type LevelMapperVariant } from './level-mapper.js';
import { RoiAlignGrad } from '../kernels/roi-align-attrs.js';
import { roiAlign, roiAlignAttrs, type RoiAlignOptions } from './roi-align.js';

/**
 * MultiScaleRoIAlign (torchvision 0.14 ops/poolers.py): pools each box from the FPN level its
 * size maps to (LevelMapper), with RoIAlign, and returns [K, outH, outW, C] in the order the
 * boxes came (image by image). Scales are inferred on the first call, as torchvision does and
 * caches: 2^round(log2(featureHeight / largest image height)), from the height only (so the
 * padded batch size decides). `scales` fixes them instead (detectron2 passes 1/stride), and
 * levelMapper 'detectron2' with aligned true and samplingRatio 0 is detectron2's ROIPooler
 * with ROIAlignV2. A box with no level (inverted: NaN size) gives a zero row, as in
 * torchvision; with one feature map every box is pooled from it without a mapper.
 */
export interface MultiScaleRoIAlignOptions {
  /** Feature names to pool from, finest first, e.g. ['0', '1', '2', '3'] or ['p2', 'p3', 'p4', 'p5']. */
  featmapNames: readonly string[];
  outputSize: number | readonly [number, number];
  /** Samples per bin side; 0 = adaptive. torchvision's box and mask heads use 2. */
  samplingRatio: number;
  canonicalScale?: number;
  canonicalLevel?: number;
  /** Default 'torchvision' (eps 1e-6 outside the log). */
  levelMapper?: LevelMapperVariant;
  /** Default false, as torchvision; true for ROIAlignV2. */
  aligned?: boolean;
  /** 1 / stride per feature; inferred from the first call when absent. */
  scales?: readonly number[];
}

const OP = 'MultiScaleRoIAlign';
const { fround, log2, trunc, round, floor, abs } = Math;

/** torch.round: half to even. */
function roundHalfEven(v: number): number {
  const r = round(v);
  return abs(v - floor(v) - 0.5) === 0 && r % 2 !== 0 ? r - 1 : r;
}

/** torchvision's _infer_scale: the ratio and its log2 are float32 tensors there. */
export function inferScale(featureHeight: number, imageHeight: number): number {
  return 2 ** roundHalfEven(fround(log2(fround(featureHeight / imageHeight))));
}

export class MultiScaleRoIAlign {
  readonly featmapNames: readonly string[];
  readonly outputSize: [number, number];
  readonly samplingRatio: number;
  readonly aligned: boolean;
  scales: number[] | undefined;
  mapper: LevelMapper | undefined;
  private readonly options: MultiScaleRoIAlignOptions;

  constructor(options: MultiScaleRoIAlignOptions) {
    const attrs = roiAlignAttrs({ outputSize: options.outputSize, samplingRatio: options.samplingRatio, aligned: options.aligned }, OP);
    if (options.featmapNames.length === 0) throw new Error(`${OP}: featmapNames must name at least one feature map, got []`);
    this.options = options;
    this.featmapNames = [...options.featmapNames];
    this.outputSize = [attrs.pooledHeight, attrs.pooledWidth];
    this.samplingRatio = attrs.samplingRatio;
    this.aligned = attrs.aligned;
    if (options.scales) {
      if (options.scales.length !== options.featmapNames.length || !options.scales.every((s) => s > 0)) {
        throw new Error(`${OP}: scales must give one positive scale per feature map (${options.featmapNames.length}), got [${options.scales.join(', ')}]`);
      }
      this.setScales([...options.scales]);
    }
  }

  private setScales(scales: number[]): void {
    this.scales = scales;
    // torchvision: lvl = -log2(scale) as a float32 tensor, then int().
    const kMin = trunc(fround(-log2(fround(scales[0]))));
    const kMax = trunc(fround(-log2(fround(scales[scales.length - 1]))));
    this.mapper = new LevelMapper(kMin, kMax, { variant: this.options.levelMapper, canonicalScale: this.options.canonicalScale, canonicalLevel: this.options.canonicalLevel });
  }

  private selectFeatures(features: Readonly<Record<string, tf.Tensor4D>>): tf.Tensor4D[] {
    return this.featmapNames.map((name) => {
      const x = features[name];
      if (x === undefined) throw new Error(`${OP}: feature "${name}" is missing from the features (have: ${Object.keys(features).join(', ') || 'none'})`);
      if (x.rank !== 4) throw new Error(`${OP}: feature "${name}" must be a 4-D NHWC tensor, got shape [${x.shape.join(', ')}]`);
      return x;
    });
  }

  /** Boxes of every image as (batch index, x1, y1, x2, y2) rows on the host. */
  private static roisOf(boxes: readonly tf.Tensor2D[]): Float32Array {
    boxes.forEach((b, i) => {
      if (b.rank !== 2 || b.shape[1] !== 4) throw new Error(`${OP}: boxes[${i}] must be [N, 4] (x1, y1, x2, y2), got shape [${b.shape.join(', ')}]`);
    });
    const rois = new Float32Array(boxes.reduce((n, b) => n + b.shape[0], 0) * 5);
    let row = 0;
    boxes.forEach((b, image) => {
      const values = b.dataSync();
      for (let i = 0; i < b.shape[0]; i++, row++) {
        rois[row * 5] = image;
        for (let j = 0; j < 4; j++) rois[row * 5 + 1 + j] = values[i * 4 + j];
      }
    });
    return rois;
  }

  forward(features: Readonly<Record<string, tf.Tensor4D>>, boxes: readonly tf.Tensor2D[], imageShapes: readonly (readonly [number, number])[]): tf.Tensor4D {
    const xs = this.selectFeatures(features);
    const rois = MultiScaleRoIAlign.roisOf(boxes);
    if (!this.scales) {
      if (imageShapes.length === 0) throw new Error(`${OP}: imageShapes must list at least one (height, width), got []`);
      const maxHeight = Math.max(...imageShapes.map((s) => s[0]));
      this.setScales(xs.map((x) => inferScale(x.shape[1], maxHeight)));
    }
    const scales = this.scales as number[];
    const options = (level: number) => ({ outputSize: this.outputSize, spatialScale: scales[level], samplingRatio: this.samplingRatio, aligned: this.aligned });
    const numRois = rois.length / 5;
    return tf.tidy(() => {
      if (xs.length === 1) return roiAlign(xs[0], tf.tensor2d(rois, [numRois, 5]), options(0));
      const levels = (this.mapper as LevelMapper).levels(rois, 5);
      return pooledInBoxOrder(xs, tf.tensor2d(rois, [numRois, 5]), (level) => ({ ...options(level), select: { roiLevels: levels, level } }));
    });
  }
}

/**
 * Each level pools its own boxes into a [K, ...] block that is 0 elsewhere (a box with no level
 * is 0 in all); the sum is every box in input order. One custom gradient over the whole sum:
 * recorded op by op, tf.addN would keep all its inputs for the backward pass (tfjs saves every
 * AddN input), so the tape would hold one full [K, ...] block per level; here it holds only the
 * RoI table. Levels with no boxes still get a (zero) gradient, as in torchvision.
 */
function pooledInBoxOrder(xs: tf.Tensor4D[], table: tf.Tensor2D, optionsOf: (level: number) => RoiAlignOptions): tf.Tensor4D {
  const attrsOf = (level: number) => roiAlignAttrs(optionsOf(level), OP);
  const pool = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const features = args.slice(0, xs.length) as tf.Tensor4D[];
    const rois = args[xs.length] as tf.Tensor2D;
    save([rois]);
    const value = tf.tidy(() => tf.addN(features.map((x, level) => roiAlign(x, rois, optionsOf(level)))));
    const gradFunc = (dy: tf.Tensor4D, saved: tf.Tensor[]): tf.Tensor[] => {
      const [savedRois] = saved;
      return [
        ...features.map((x, level) => tf.engine().runKernel(RoiAlignGrad, { dy, rois: savedRois }, { ...attrsOf(level), inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor),
        tf.zerosLike(savedRois),
      ];
    };
    return { value, gradFunc };
  });
  return pool(...xs, table) as tf.Tensor4D;
}
