/**
 * Names and attributes of the exact resize kernels (torch.nn.functional.interpolate, torch 1.13
 * CPU rules: ops/resize-taps.ts). TfvResizeExact resizes an NHWC batch; TfvResizeExactGrad is
 * its adjoint (the gradient with respect to the input), a scatter-add with the same taps.
 */
import type * as tf from '@tensorflow/tfjs-core';

export const ResizeExact = 'TfvResizeExact';
export const ResizeExactGrad = 'TfvResizeExactGrad';

export type ResizeExactMode = 'bilinear' | 'nearest';

/** Kernel attributes (flat, as tfjs attrs are). */
export interface ResizeExactAttrs {
  outHeight: number;
  outWidth: number;
  mode: ResizeExactMode;
  /** Bilinear only (false for nearest). */
  alignCorners: boolean;
  /**
   * The scale factors torch's kernel sees, per axis; 0 means none reached it (an explicit size,
   * or recompute_scale_factor), so the kernel uses in/out.
   */
  scaleH: number;
  scaleW: number;
}

export interface ResizeExactGradAttrs extends ResizeExactAttrs {
  /** NHWC shape of the forward input, which the gradient has. */
  inputShape: [number, number, number, number];
}

export type Shape4 = [number, number, number, number];

/** The attributes back from tfjs' NamedAttrMap. */
export function resizeExactAttrsOf(attrs: tf.NamedAttrMap | undefined): ResizeExactAttrs {
  const a = (attrs ?? {}) as unknown as ResizeExactAttrs;
  return { outHeight: a.outHeight, outWidth: a.outWidth, mode: a.mode, alignCorners: a.alignCorners, scaleH: a.scaleH, scaleW: a.scaleW };
}

/** The scale the taps take: undefined where torch's kernel uses in/out. */
export function kernelScale(scale: number): number | undefined {
  return scale > 0 ? scale : undefined;
}

/** One-line error naming the op when a bilinear kernel is handed something other than float32. */
export function checkBilinearDtype(mode: ResizeExactMode, t: tf.TensorInfo, name: string): void {
  if (mode === 'bilinear' && t.dtype !== 'float32') throw new Error(`interpolate: bilinear needs a float32 ${name}, got ${t.dtype}`);
}
