import type { DetectionSample, SyncTransform } from './sample.js';

/**
 * Mirrors image, boxes and masks left-right with probability `prob` (default 0.5): one uniform
 * drawn per sample, flipped when below `prob` (torchvision's RandomHorizontalFlip); none drawn
 * at prob 0.
 */
export function randomHorizontalFlip(prob = 0.5): SyncTransform<DetectionSample> {
  if (!(prob >= 0 && prob <= 1)) throw new Error(`randomHorizontalFlip: prob must be in [0, 1], got ${prob}`);
  return (sample, rng) => (prob > 0 && rng.next() < prob ? horizontalFlip(sample) : sample);
}

/**
 * The deterministic flip: x1' = W - x2, x2' = W - x1 (torchvision and detectron2), with W
 * the full image width, padding included, so boxes and masks stay on the pixels they cover.
 */
export function horizontalFlip(sample: DetectionSample): DetectionSample {
  const { width, height } = sample.image;
  return {
    ...sample,
    image: { width, height, channels: 3, data: flipLeftRight(sample.image.data, width, height, 3) },
    boxes: flipBoxes(sample.boxes, width),
    crowdBoxes: flipBoxes(sample.crowdBoxes, width),
    ...(sample.masks ? { masks: sample.masks.map((m) => flipLeftRight(m, width, height, 1)) } : {}),
    ...(sample.crowdMasks ? { crowdMasks: sample.crowdMasks.map((m) => flipLeftRight(m, width, height, 1)) } : {}),
  };
}

function flipBoxes(boxes: Float32Array, width: number): Float32Array {
  const out = new Float32Array(boxes.length);
  for (let i = 0; i < boxes.length; i += 4) {
    out[i] = width - boxes[i + 2];
    out[i + 1] = boxes[i + 1];
    out[i + 2] = width - boxes[i];
    out[i + 3] = boxes[i + 3];
  }
  return out;
}

/** A row-major HWC plane mirrored left-right into a new array of the same type (images and masks alike). */
export function flipLeftRight<T extends Uint8Array | Float32Array>(data: T, width: number, height: number, channels: number): T {
  if (data.length !== width * height * channels) throw new Error(`flipLeftRight: ${data.length} values for ${height}x${width}x${channels}`);
  // A plain typed array even when `data` is a Node Buffer (a Uint8Array subclass sharp returns).
  const out = (data instanceof Float32Array ? new Float32Array(data.length) : new Uint8Array(data.length)) as T;
  for (let y = 0; y < height; y++) {
    const row = y * width * channels;
    for (let x = 0; x < width; x++) {
      const src = row + x * channels;
      const dst = row + (width - 1 - x) * channels;
      for (let c = 0; c < channels; c++) out[dst + c] = data[src + c];
    }
  }
  return out;
}
