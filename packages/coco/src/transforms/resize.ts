import sharp from 'sharp';
import { uniformInt, type DetectionSample, type Transform, type UniformSource } from './sample.js';

export interface ResizeShortestEdgeOptions {
  /** Target length of the short edge: one value, a list to choose from, or a [min, max] range. */
  shortEdge: number | readonly number[];
  /** 'choice' (default) picks one of `shortEdge`; 'range' draws an integer in [min, max]. */
  sampleStyle?: 'choice' | 'range';
  /** The long edge never exceeds this (detectron2's MAX_SIZE_TRAIN, 1333 for COCO). */
  maxSize?: number;
}

/**
 * detectron2's ResizeShortestEdge.get_output_shape: scale so the short edge is `shortEdge`,
 * shrink further if the long edge would pass `maxSize`, round each side half up.
 */
export function shortestEdgeSize(height: number, width: number, shortEdge: number, maxSize = Infinity): [number, number] {
  const scale = shortEdge / Math.min(height, width);
  let newH = height < width ? shortEdge : scale * height;
  let newW = height < width ? scale * width : shortEdge;
  if (Math.max(newH, newW) > maxSize) {
    const s = maxSize / Math.max(newH, newW);
    newH *= s;
    newW *= s;
  }
  return [Math.trunc(newH + 0.5), Math.trunc(newW + 0.5)];
}

/**
 * Resizes keeping the aspect ratio (detectron2's ResizeShortestEdge). The image is resampled
 * bilinearly by sharp, boxes are scaled by exactly newW/W and newH/H, masks use nearest
 * neighbour so they stay binary. Works on uint8 images: resize before `normalize`.
 */
export function resizeShortestEdge(options: ResizeShortestEdgeOptions): Transform {
  const edges = typeof options.shortEdge === 'number' ? [options.shortEdge] : [...options.shortEdge];
  const style = options.sampleStyle ?? 'choice';
  if (edges.length === 0 || edges.some((e) => !Number.isInteger(e) || e < 1)) {
    throw new Error(`resizeShortestEdge: shortEdge must be positive integers, got ${JSON.stringify(options.shortEdge)}`);
  }
  if (style === 'range' && edges.length !== 2) throw new Error(`resizeShortestEdge: sampleStyle 'range' needs [min, max], got ${JSON.stringify(edges)}`);
  const pick = (rng: UniformSource) => (style === 'range' ? uniformInt(rng, edges[0], edges[1]) : edges[uniformInt(rng, 0, edges.length - 1)]);
  return (sample, rng) => {
    const edge = edges.length === 1 ? edges[0] : pick(rng);
    const [newH, newW] = shortestEdgeSize(sample.image.height, sample.image.width, edge, options.maxSize);
    return resizeSample(sample, newH, newW);
  };
}

/** Resizes a sample to exactly newH x newW. */
export async function resizeSample(sample: DetectionSample, newH: number, newW: number): Promise<DetectionSample> {
  const { width, height, data } = sample.image;
  if (newH === height && newW === width) return sample;
  if (!(data instanceof Uint8Array)) throw new Error('resizeShortestEdge: the image is float32; resize before normalize');
  const resized = await sharp(data, { raw: { width, height, channels: 3 } })
    .resize(newW, newH, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  const sx = newW / width;
  const sy = newH / height;
  return {
    ...sample,
    image: { width: newW, height: newH, channels: 3, data: new Uint8Array(resized.buffer, resized.byteOffset, resized.byteLength) },
    contentSize: [newH, newW],
    boxes: scaleBoxes(sample.boxes, sx, sy),
    crowdBoxes: scaleBoxes(sample.crowdBoxes, sx, sy),
    ...(sample.masks ? { masks: sample.masks.map((m) => resizeNearest(m, width, height, newW, newH)) } : {}),
    ...(sample.crowdMasks ? { crowdMasks: sample.crowdMasks.map((m) => resizeNearest(m, width, height, newW, newH)) } : {}),
  };
}

function scaleBoxes(boxes: Float32Array, sx: number, sy: number): Float32Array {
  const out = new Float32Array(boxes.length);
  for (let i = 0; i < boxes.length; i += 4) {
    out[i] = boxes[i] * sx;
    out[i + 1] = boxes[i + 1] * sy;
    out[i + 2] = boxes[i + 2] * sx;
    out[i + 3] = boxes[i + 3] * sy;
  }
  return out;
}

/** Nearest neighbour by pixel centres (PIL's NEAREST): source index floor((dst + 0.5) * src / dst). */
export function resizeNearest(mask: Uint8Array, w: number, h: number, newW: number, newH: number): Uint8Array {
  const out = new Uint8Array(newW * newH);
  const xs = new Int32Array(newW);
  for (let x = 0; x < newW; x++) xs[x] = Math.min(w - 1, Math.floor(((x + 0.5) * w) / newW));
  for (let y = 0; y < newH; y++) {
    const sy = Math.min(h - 1, Math.floor(((y + 0.5) * h) / newH));
    const src = sy * w;
    const dst = y * newW;
    for (let x = 0; x < newW; x++) out[dst + x] = mask[src + xs[x]];
  }
  return out;
}
