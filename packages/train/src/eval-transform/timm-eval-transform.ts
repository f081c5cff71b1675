/**
 * timm's evaluation transform at crop_mode 'center' (transforms_factory.transforms_imagenet_eval
 * with resolve_data_config(model=...)) on PIL images: torchvision Resize(floor(size / crop_pct))
 * of the short side (long side int(scale·long/short)), CenterCrop(size) with offsets
 * int(round((dim - size) / 2)) (Python's half-to-even) and zero padding when the image is
 * smaller, then ToTensor and Normalize. The resize is PIL's (see pil-resample.ts).
 */
import { checkImage, type ImageU8 } from '../augment/image.js';
import { centerCrop, shortSideSize } from '../augment/eval-transform.js';
import { pilResize, type PilInterpolation } from './pil-resample.js';

export interface EvalTransformConfig {
  /** [height, width] of the crop. */
  size: [number, number];
  cropPct: number;
  interpolation: PilInterpolation;
  mean: [number, number, number];
  std: [number, number, number];
}

/** The registry's pretrainedCfg fields this transform reads, with optional CLI overrides. */
export function evalTransformConfig(
  cfg: { inputSize: [number, number, number]; cropPct: number; interpolation: PilInterpolation; mean: [number, number, number]; std: [number, number, number] },
  overrides: { cropPct?: number; interpolation?: PilInterpolation } = {},
): EvalTransformConfig {
  const cropPct = overrides.cropPct ?? cfg.cropPct;
  if (!(cropPct > 0) || !Number.isFinite(cropPct)) throw new Error(`evalTransformConfig: cropPct must be a finite number > 0, got ${cropPct}`);
  const interpolation = overrides.interpolation ?? cfg.interpolation;
  if (interpolation !== 'bilinear' && interpolation !== 'bicubic') throw new Error(`evalTransformConfig: interpolation must be bilinear or bicubic, got ${String(interpolation)}`);
  return { size: [cfg.inputSize[1], cfg.inputSize[2]], cropPct, interpolation, mean: cfg.mean, std: cfg.std };
}

/** Resized size before the crop: timm's scale_size = floor(size / crop_pct) per axis. */
export function scaleSize(cfg: EvalTransformConfig): [number, number] {
  return [Math.floor(cfg.size[0] / cfg.cropPct), Math.floor(cfg.size[1] / cfg.cropPct)];
}

/** The uint8 crop timm feeds to ToTensor. */
export function timmEvalCrop(img: ImageU8, cfg: EvalTransformConfig): ImageU8 {
  checkImage(img, 'timmEvalCrop');
  const [sh, sw] = scaleSize(cfg);
  // timm switches to ResizeKeepRatio for non-square targets; no registered model has one.
  if (sh !== sw) throw new Error(`timmEvalCrop: only square input sizes are supported, got ${cfg.size[0]}x${cfg.size[1]}`);
  const [h, w] = shortSideSize(img.height, img.width, sh);
  return centerCrop(pilResize(img, h, w, cfg.interpolation), cfg.size[0], cfg.size[1]);
}
