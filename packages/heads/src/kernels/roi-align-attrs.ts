/**
 * Kernel names and attributes of tfvision's RoIAlign (torchvision.ops.roi_align). Inputs are
 * `x` (NHWC float32 features) and `rois` ([K, 5] float32: batch index, x1, y1, x2, y2 in image
 * pixels); the gradient kernel takes `dy` ([K, outH, outW, C]) and `rois`. A non-empty
 * attrs.roiLevels (one per RoI) pools only the RoIs with roiLevels[k] === attrs.level and
 * leaves the other rows 0, so MultiScaleRoIAlign sums its levels' outputs in box order instead
 * of gathering rows (a gather's gradient needs a scatter wasm lacks). It is an attribute, not
 * an input, because the gradient function sees attributes and only the inputs it saves.
 */
export const RoiAlign = 'TfvRoiAlign';
export const RoiAlignGrad = 'TfvRoiAlignGrad';

export interface RoiAlignAttrs {
  pooledHeight: number;
  pooledWidth: number;
  spatialScale: number;
  /** > 0: that many samples per bin side; 0: adaptive, ceil(roi size / output size). */
  samplingRatio: number;
  /** Detectron2's ROIAlignV2: pixel centres at +0.5, so boxes shift by -0.5 and are not widened to 1. */
  aligned: boolean;
  /** Level of each RoI, or [] to pool every RoI. */
  roiLevels: number[];
  /** With roiLevels: the level this call pools. */
  level: number;
}

export interface RoiAlignGradAttrs extends RoiAlignAttrs {
  /** NHWC shape of the features the forward pass read. */
  inputShape: [number, number, number, number];
}

export function roiAlignAttrsOf(attrs: unknown): RoiAlignAttrs {
  const a = attrs as RoiAlignAttrs;
  return { pooledHeight: a.pooledHeight, pooledWidth: a.pooledWidth, spatialScale: a.spatialScale, samplingRatio: a.samplingRatio, aligned: a.aligned, roiLevels: a.roiLevels ?? [], level: a.level ?? -1 };
}
