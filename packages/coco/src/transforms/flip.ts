import type { DetectionSample, Transform } from './sample.js';

/** Mirrors image, boxes and masks left-right with probability `prob` (default 0.5). */
export function randomHorizontalFlip(prob = 0.5): Transform {
  return (sample, rng) => (rng.next() < prob ? horizontalFlip(sample) : sample);
}

/**
 * The deterministic flip: x1' = W - x2, x2' = W - x1 (torchvision and detectron2), with W
 * the full image width, padding included, so boxes and masks stay on the pixels they cover.
 */
export function horizontalFlip(sample: DetectionSample): DetectionSample {
  const { width, height } = sample.image;
  return {
    ...sample,
    image: { width, height, data: flipRows(sample.image.data, width, height, 3) },
    boxes: flipBoxes(sample.boxes, width),
    crowdBoxes: flipBoxes(sample.crowdBoxes, width),
    ...(sample.masks ? { masks: sample.masks.map((m) => flipRows(m, width, height, 1)) } : {}),
    ...(sample.crowdMasks ? { crowdMasks: sample.crowdMasks.map((m) => flipRows(m, width, height, 1)) } : {}),
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

function flipRows<T extends Uint8Array | Float32Array>(data: T, width: number, height: number, channels: number): T {
  const out = new (data.constructor as new (n: number) => T)(data.length);
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
