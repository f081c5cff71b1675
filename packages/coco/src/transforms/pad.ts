import type { DetectionSample, SyncTransform } from './sample.js';

/**
 * Pads bottom and right so height and width are multiples of `divisor` (32 for FPN's
 * stride-32 level), as detectron2's ImageList does. Boxes keep their coordinates; masks are
 * padded with 0; `contentSize` keeps the unpadded size.
 */
export function padToMultiple(divisor = 32, value = 0): SyncTransform<DetectionSample> {
  if (!Number.isInteger(divisor) || divisor < 1) throw new Error(`padToMultiple: divisor must be a positive integer, got ${divisor}`);
  return (sample: DetectionSample) => {
    const { width, height } = sample.image;
    const newW = Math.ceil(width / divisor) * divisor;
    const newH = Math.ceil(height / divisor) * divisor;
    if (newW === width && newH === height) return sample;
    return {
      ...sample,
      image: { width: newW, height: newH, channels: 3, data: padPlane(sample.image.data, width, height, newW, newH, 3, value) },
      ...(sample.masks ? { masks: sample.masks.map((m) => padPlane(m, width, height, newW, newH, 1, 0)) } : {}),
      ...(sample.crowdMasks ? { crowdMasks: sample.crowdMasks.map((m) => padPlane(m, width, height, newW, newH, 1, 0)) } : {}),
    };
  };
}

export function padPlane<T extends Uint8Array | Float32Array>(data: T, w: number, h: number, newW: number, newH: number, channels: number, value: number): T {
  const out = new (data.constructor as new (n: number) => T)(newW * newH * channels);
  if (value !== 0) out.fill(value);
  for (let y = 0; y < h; y++) out.set(data.subarray(y * w * channels, (y + 1) * w * channels), y * newW * channels);
  return out;
}
