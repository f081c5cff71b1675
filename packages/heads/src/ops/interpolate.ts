/**
 * torch.nn.functional.interpolate (torch 1.13) for NHWC tensors: 'bilinear' (alignCorners false
 * and true) and 'nearest' (the floor rule), with torch's output-size and scale-factor rules.
 *
 * Output size: `size`, or floor(in·scaleFactor) in float64. The kernel then uses the scale
 * factor itself (as float32(1/scale)) unless recomputeScaleFactor is true, in which case it
 * uses in/out; GeneralizedRCNNTransform resizes with recomputeScaleFactor true.
 * tfjs resizeBilinear(halfPixelCenters) uses a float64 in/out ratio, which moves the source
 * coordinate of the last pixels of an 800-pixel axis by ~6e-5 and so misses 1e-5 relative on
 * sharp images; this op runs the kernel TfvResizeExact instead (kernels/resize-exact-*.ts: host
 * loops on cpu and wasm, a gather composite elsewhere), which takes torch's taps
 * (resize-taps.ts) and blends along W then H, as torch's NCHW kernel does, one float32
 * operation at a time. Differentiable (TfvResizeExactGrad, torch's scatter-add adjoint).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ResizeExact, type ResizeExactAttrs } from '../kernels/resize-exact-attrs.js';
import { registerResizeKernels } from '../kernels/resize-exact-register.js';

export type InterpolateMode = 'bilinear' | 'nearest';

export interface InterpolateOptions {
  /** Output [height, width] (one number: both). Exclusive with scaleFactor. */
  size?: number | readonly [number, number];
  /** Scale factor (one number: both axes, or [h, w]). Exclusive with size. */
  scaleFactor?: number | readonly [number, number];
  /** Default 'nearest', as torch. */
  mode?: InterpolateMode;
  /** Bilinear only; default false. */
  alignCorners?: boolean;
  /** With scaleFactor: the kernel uses in/out instead of 1/scaleFactor (torch's recompute_scale_factor). */
  recomputeScaleFactor?: boolean;
}

/** The output size and the scale factors the kernel sees (undefined: in/out). */
export interface InterpolatePlan {
  readonly outHeight: number;
  readonly outWidth: number;
  readonly kernelScaleH?: number;
  readonly kernelScaleW?: number;
}

function pair(value: number | readonly [number, number], what: string): [number, number] {
  if (typeof value === 'number') return [value, value];
  if (!Array.isArray(value) || value.length !== 2) throw new Error(`interpolate: ${what} must be a number or [h, w], got ${JSON.stringify(value)}`);
  return [value[0], value[1]];
}

/** torch's output-size rule for an input of inHeight x inWidth. */
export function interpolatePlan(inHeight: number, inWidth: number, options: InterpolateOptions): InterpolatePlan {
  const { size, scaleFactor, recomputeScaleFactor } = options;
  if (size !== undefined && scaleFactor !== undefined) throw new Error('interpolate: only one of size or scaleFactor may be given, got both');
  if (size === undefined && scaleFactor === undefined) throw new Error('interpolate: either size or scaleFactor must be given, got neither');
  let plan: InterpolatePlan;
  if (size !== undefined) {
    if (recomputeScaleFactor) throw new Error('interpolate: recomputeScaleFactor is not meaningful with an explicit size, got size ' + JSON.stringify(size));
    const [h, w] = pair(size, 'size');
    if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) throw new Error(`interpolate: size must be positive integers, got [${h}, ${w}]`);
    plan = { outHeight: h, outWidth: w };
  } else {
    const [sh, sw] = pair(scaleFactor as number | readonly [number, number], 'scaleFactor');
    if (!(sh > 0) || !(sw > 0) || !Number.isFinite(sh) || !Number.isFinite(sw)) throw new Error(`interpolate: scaleFactor must be positive and finite, got [${sh}, ${sw}]`);
    plan = recomputeScaleFactor
      ? { outHeight: Math.floor(inHeight * sh), outWidth: Math.floor(inWidth * sw) }
      : { outHeight: Math.floor(inHeight * sh), outWidth: Math.floor(inWidth * sw), kernelScaleH: sh, kernelScaleW: sw };
  }
  if (plan.outHeight < 1 || plan.outWidth < 1) {
    throw new Error(`interpolate: output size must be positive, got ${plan.outHeight}x${plan.outWidth} from input ${inHeight}x${inWidth}`);
  }
  return plan;
}

/**
 * Resizes an NHWC batch as torch.nn.functional.interpolate resizes the NCHW one.
 * @example interpolate(x, { size: [25, 34], mode: 'nearest' })
 */
export function interpolate(x: tf.Tensor4D, options: InterpolateOptions): tf.Tensor4D {
  if (!(x instanceof tf.Tensor) || x.rank !== 4) throw new Error(`interpolate: x must be a rank-4 NHWC tensor, got rank ${x instanceof tf.Tensor ? x.rank : typeof x}`);
  const mode = options.mode ?? 'nearest';
  if (mode !== 'bilinear' && mode !== 'nearest') throw new Error(`interpolate: mode must be 'bilinear' or 'nearest', got '${String(mode)}'`);
  if (mode === 'nearest' && options.alignCorners !== undefined) {
    throw new Error(`interpolate: alignCorners can only be set with mode 'bilinear', got alignCorners ${String(options.alignCorners)} with 'nearest'`);
  }
  const [, inH, inW] = x.shape;
  if (inH < 1 || inW < 1) throw new Error(`interpolate: input height and width must be positive, got ${inH}x${inW}`);
  const plan = interpolatePlan(inH, inW, options);
  if (mode === 'bilinear' && x.dtype !== 'float32') throw new Error(`interpolate: bilinear needs a float32 tensor, got ${x.dtype}`);
  const attrs: ResizeExactAttrs = {
    outHeight: plan.outHeight,
    outWidth: plan.outWidth,
    mode,
    alignCorners: mode === 'bilinear' ? (options.alignCorners ?? false) : false,
    scaleH: plan.kernelScaleH ?? 0,
    scaleW: plan.kernelScaleW ?? 0,
  };
  registerResizeKernels();
  return tf.engine().runKernel(ResizeExact, { x }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
