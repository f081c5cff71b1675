import type { DetectionSample, SyncTransform } from './sample.js';

export interface NormalizeOptions {
  /** Per-channel (R, G, B) mean, in the units after `scale`. */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  /**
   * Multiplies pixel values first: 1/255 for torchvision's ImageNet statistics
   * (mean [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225]); 1 (default) for detectron2's,
   * which are in 0..255 (given here in RGB order: mean [123.675, 116.28, 103.53]).
   */
  scale?: number;
}

/** (x * scale - mean) / std per channel, giving a Float32 image. Boxes and masks are unchanged. */
export function normalize(options: NormalizeOptions): SyncTransform<DetectionSample> {
  const scale = options.scale ?? 1;
  const { mean, std } = options;
  for (let c = 0; c < 3; c++) {
    if (!(std[c] > 0)) throw new Error(`normalize: std[${c}] must be > 0, got ${std[c]}`);
  }
  return (sample: DetectionSample) => {
    const src = sample.image.data;
    const out = new Float32Array(src.length);
    for (let i = 0; i < src.length; i += 3) {
      out[i] = (src[i] * scale - mean[0]) / std[0];
      out[i + 1] = (src[i + 1] * scale - mean[1]) / std[1];
      out[i + 2] = (src[i + 2] * scale - mean[2]) / std[2];
    }
    return { ...sample, image: { width: sample.image.width, height: sample.image.height, channels: 3, data: out } };
  };
}
