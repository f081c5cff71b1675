import * as tf from '@tensorflow/tfjs-core';
import { splitBatch } from './batch-slice.js';

/** [[top, bottom], [left, right]]; entries may be negative (a crop) in intermediate steps. */
export type Pads2d = [[number, number], [number, number]];

export interface ConvGeometry {
  strides: [number, number];
  pad: Pads2d;
  dilations: [number, number];
}

export function isZeroPad(pad: Pads2d): boolean {
  return pad[0][0] === 0 && pad[0][1] === 0 && pad[1][0] === 0 && pad[1][1] === 0;
}

/** The pad argument tfjs' conv ops take; only valid for non-negative pads. */
export function tfPad(pad: Pads2d): 'valid' | [[number, number], [number, number], [number, number], [number, number]] {
  return isZeroPad(pad) ? 'valid' : [[0, 0], pad[0], pad[1], [0, 0]];
}

/** Pads spatially where an amount is positive and crops where it is negative. */
export function padOrCrop(x: tf.Tensor4D, pad: Pads2d): tf.Tensor4D {
  const [[t, b], [l, r]] = pad;
  let y = x;
  if (t < 0 || b < 0 || l < 0 || r < 0) {
    const [n, h, w, c] = y.shape;
    const top = Math.max(-t, 0);
    const left = Math.max(-l, 0);
    y = tf.slice(y, [0, top, left, 0], [n, h - top - Math.max(-b, 0), w - left - Math.max(-r, 0), c]);
  }
  const grow: Pads2d = [[Math.max(t, 0), Math.max(b, 0)], [Math.max(l, 0), Math.max(r, 0)]];
  return isZeroPad(grow) ? y : tf.pad(y, [[0, 0], grow[0], grow[1], [0, 0]]);
}

/**
 * Inserts stride-1 zeros between spatial samples ("fractional striding"), so the adjoint of a
 * strided convolution becomes a stride-1 convolution. Only rank-3 pads and reshapes: they have
 * fast paths on every backend, unlike rank-6 ones.
 */
export function insertZeros(x: tf.Tensor4D, strides: [number, number]): tf.Tensor4D {
  const [sh, sw] = strides;
  const [n, , w, c] = x.shape;
  let h = x.shape[1];
  let y = x;
  if (sh > 1) {
    y = tf.reshape(tf.pad(tf.reshape(y, [n * h, 1, w * c]), [[0, 0], [0, sh - 1], [0, 0]]), [n, h * sh, w, c]);
    y = tf.slice(y, [0, 0, 0, 0], [n, (h - 1) * sh + 1, w, c]);
    h = (h - 1) * sh + 1;
  }
  if (sw > 1) {
    y = tf.reshape(tf.pad(tf.reshape(y, [n * h * w, 1, c]), [[0, 0], [0, sw - 1], [0, 0]]), [n, h, w * sw, c]);
    y = tf.slice(y, [0, 0, 0, 0], [n, h, (w - 1) * sw + 1, c]);
  }
  return y;
}

/**
 * Padding that turns the adjoint (input gradient) of a convolution into a plain stride-1
 * correlation of the zero-inserted output gradient with the flipped filter:
 * top = (k-1)d - padTop, bottom = H - ((OH-1)s + 1) + padTop (and likewise for width).
 */
export function adjointPads(inH: number, inW: number, outH: number, outW: number, kernel: [number, number], g: ConvGeometry): Pads2d {
  const axis = (size: number, out: number, k: number, s: number, d: number, before: number): [number, number] => {
    const top = (k - 1) * d - before;
    return [top, size - ((out - 1) * s + 1) + before];
  };
  return [axis(inH, outH, kernel[0], g.strides[0], g.dilations[0], g.pad[0][0]), axis(inW, outW, kernel[1], g.strides[1], g.dilations[1], g.pad[1][0])];
}

/** Explicit pads from the pad attribute of tfjs' own conv kernels ('same', 'valid', number, explicit). */
export function padsFromConvInfo(info: tf.backend_util.Conv2DInfo): Pads2d {
  return [[info.padInfo.top, info.padInfo.bottom], [info.padInfo.left, info.padInfo.right]];
}

/**
 * Reverses the kh*kw taps of a filter [kh, kw, ...rest] (a 180-degree spatial rotation: tap
 * (i, j) has flat index i*kw + j and goes to K-1 minus it). Done as contiguous slices joined in
 * reverse order, because tfjs-backend-wasm's Reverse took ~130 ms on a 2048x1024 filter.
 */
export function flipTaps(filter: tf.Tensor4D): tf.Tensor4D {
  const [kh, kw, a, b] = filter.shape;
  const taps = kh * kw;
  if (taps === 1) return filter;
  const parts = splitBatch(tf.reshape(filter, [taps, a * b]) as tf.Tensor2D, taps);
  return tf.reshape(tf.concat(parts.reverse(), 0), [kh, kw, a, b]);
}

/** tfjs' conv kernels take stride > 1 or dilation > 1, never both. */
export function needsUnitStride(g: ConvGeometry): boolean {
  return (g.strides[0] > 1 || g.strides[1] > 1) && (g.dilations[0] > 1 || g.dilations[1] > 1);
}

/** Output size of the same convolution at stride 1. */
export function unitStrideOutput(inH: number, inW: number, kernel: [number, number], g: ConvGeometry): [number, number] {
  return [inH + g.pad[0][0] + g.pad[0][1] - (kernel[0] - 1) * g.dilations[0], inW + g.pad[1][0] + g.pad[1][1] - (kernel[1] - 1) * g.dilations[1]];
}

/** Keeps every stride-th sample: a strided convolution is the stride-1 one subsampled. */
export function subsample(y: tf.Tensor4D, strides: [number, number]): tf.Tensor4D {
  const [n, h, w, c] = y.shape;
  return tf.stridedSlice(y, [0, 0, 0, 0], [n, h, w, c], [1, strides[0], strides[1], 1]) as tf.Tensor4D;
}

/**
 * The output gradient of a strided convolution as that of the stride-1 convolution it
 * subsamples: zeros between samples, zero rows/columns up to the stride-1 output size.
 */
export function spreadToUnitStride(dy: tf.Tensor4D, strides: [number, number], unitOut: [number, number]): tf.Tensor4D {
  const spread = insertZeros(dy, strides);
  return padOrCrop(spread, [[0, unitOut[0] - spread.shape[1]], [0, unitOut[1] - spread.shape[2]]]);
}
