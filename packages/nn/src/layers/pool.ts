import * as tf from '@tensorflow/tfjs-core';
import { Layer } from '../module.js';
import { outputSize, pair, resolvePadding } from '../ops/padding.js';

export interface Pool2dOptions {
  kernelSize: number | [number, number];
  /** Defaults to kernelSize, as in PyTorch. */
  stride?: number | [number, number];
  /**
   * Symmetric padding (PyTorch semantics), or 'same': TF's asymmetric padding with zeros that
   * count in averages (timm's AvgPool2dSame pads with F.pad before pooling).
   */
  padding?: number | [number, number] | 'same';
  ceilMode?: boolean;
  /** AvgPool only: count padded zeros in the divisor (PyTorch's default true). */
  countIncludePad?: boolean;
}

interface PoolGeometry {
  k: [number, number];
  s: [number, number];
  padSpec: [[number, number], [number, number]];
}

/**
 * Pads so that a 'valid' pool reproduces PyTorch's output size, including ceil_mode (which
 * adds extra bottom/right padding that is never counted in averages).
 */
function geometry(h: number, w: number, o: Pool2dOptions): PoolGeometry & { extra: [number, number] } {
  const k = pair(o.kernelSize);
  const s = pair(o.stride ?? o.kernelSize);
  if (o.padding === 'same') {
    const pad = resolvePadding('same', h, w, k, s, [1, 1]);
    return { k, s, padSpec: pad, extra: [0, 0] };
  }
  const p = pair(o.padding ?? 0);
  const oh = outputSize(h, k[0], s[0], 1, p[0], p[0], o.ceilMode);
  const ow = outputSize(w, k[1], s[1], 1, p[1], p[1], o.ceilMode);
  const needH = (oh - 1) * s[0] + k[0];
  const needW = (ow - 1) * s[1] + k[1];
  const extraH = Math.max(needH - (h + 2 * p[0]), 0);
  const extraW = Math.max(needW - (w + 2 * p[1]), 0);
  return { k, s, padSpec: [[p[0], p[0] + extraH], [p[1], p[1] + extraW]], extra: [extraH, extraW] };
}

export class MaxPool2d extends Layer<tf.Tensor4D, tf.Tensor4D> {
  constructor(readonly options: Pool2dOptions) {
    super();
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const g = geometry(x.shape[1], x.shape[2], this.options);
      const [[pt, pb], [pl, pr]] = g.padSpec;
      // -Infinity padding: PyTorch's max pool never picks a padded value.
      const padded = pt + pb + pl + pr > 0 ? tf.pad(x, [[0, 0], [pt, pb], [pl, pr], [0, 0]], -Infinity) : x;
      return tf.maxPool(padded as tf.Tensor4D, g.k, g.s, 'valid');
    });
  }
}

export class AvgPool2d extends Layer<tf.Tensor4D, tf.Tensor4D> {
  constructor(readonly options: Pool2dOptions) {
    super();
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const g = geometry(x.shape[1], x.shape[2], this.options);
      const [[pt, pb], [pl, pr]] = g.padSpec;
      if (pt + pb + pl + pr === 0) return tf.avgPool(x, g.k, g.s, 'valid');
      if (this.options.padding === 'same') return tf.avgPool(tf.pad(x, [[0, 0], [pt, pb], [pl, pr], [0, 0]]), g.k, g.s, 'valid');
      const padded = tf.pad(x, [[0, 0], [pt, pb], [pl, pr], [0, 0]]);
      const sums = tf.mul(tf.avgPool(padded, g.k, g.s, 'valid'), g.k[0] * g.k[1]);
      // Divisor per output cell: padded cells count only when countIncludePad and they are
      // the symmetric padding (never the ceil-mode extra), as in PyTorch.
      const includePad = this.options.countIncludePad ?? true;
      const [h, w] = [x.shape[1], x.shape[2]];
      const mask = includePad
        ? tf.pad(tf.ones([1, h + 2 * (pt), w + 2 * (pl), 1]), [[0, 0], [0, pb - pt], [0, pr - pl], [0, 0]])
        : tf.pad(tf.ones([1, h, w, 1]), [[0, 0], [pt, pb], [pl, pr], [0, 0]]);
      const counts = tf.mul(tf.avgPool(mask as tf.Tensor4D, g.k, g.s, 'valid'), g.k[0] * g.k[1]);
      return tf.div(sums, counts) as tf.Tensor4D;
    });
  }
}

/** Global average pool: NHWC → [N, C] (timm's SelectAdaptivePool2d('avg', flatten)). */
export class GlobalAvgPool extends Layer<tf.Tensor4D, tf.Tensor2D> {
  forward(x: tf.Tensor4D): tf.Tensor2D {
    return tf.mean(x, [1, 2]);
  }
}

/** Global average pool keeping spatial dims: NHWC → [N, 1, 1, C]. */
export function globalAvgPoolKeepDims(x: tf.Tensor4D): tf.Tensor4D {
  return tf.mean(x, [1, 2], true);
}
