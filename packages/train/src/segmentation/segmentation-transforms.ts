/**
 * The joint image + label transforms of torchvision's segmentation reference
 * (references/segmentation/presets.py and transforms.py), on 8-bit HWC images:
 * - training: RandomResize (the shorter side to an integer drawn uniformly from [min, max],
 *   both ends included, as random.randint; the longer side int(size · long / short), as
 *   torchvision's resize), then RandomHorizontalFlip, then RandomCrop (pad_if_smaller: the
 *   bottom and right padded with 0 in the image and 255 in the label, then a uniform offset);
 * - evaluation: the shorter side resized to a fixed size;
 * - the image is resized with PIL's bilinear filter (the reference's PIL path), the label with
 *   PIL's nearest rule (the source pixel under the output pixel's centre), so classes are never
 *   blended; normalisation to the model's mean/std happens when the batch is assembled.
 * All randomness comes from the Rng passed in, so a sample's augmentation is a function of its stream.
 */
import { horizontalFlip } from '../augment/flip.js';
import { createImage, type ImageU8 } from '../augment/image.js';
import { pilResize } from '../eval-transform/pil-resample.js';
import type { Rng } from '../rng.js';
import { IGNORE_INDEX } from './semantic-labels.js';

/** An image and its label map of the same height and width. */
export interface LabelledImage {
  image: ImageU8;
  label: ImageU8;
}

function check(s: LabelledImage, where: string): void {
  const { image, label } = s;
  if (image.channels !== 3 || label.channels !== 1) throw new Error(`${where}: expected an RGB image and a one-channel label, got ${image.channels} and ${label.channels} channels`);
  if (image.height !== label.height || image.width !== label.width) throw new Error(`${where}: image ${image.width}x${image.height} and label ${label.width}x${label.height} differ in size`);
}

/** PIL's NEAREST resize: output pixel (y, x) takes source pixel floor((y + 0.5) · in/out), clamped. */
export function resizeNearestLabel(label: ImageU8, height: number, width: number): ImageU8 {
  const out = createImage(height, width, label.channels);
  const c = label.channels;
  const sy = label.height / height;
  const sx = label.width / width;
  const cols = new Int32Array(width);
  for (let x = 0; x < width; x++) cols[x] = Math.min(Math.floor((x + 0.5) * sx), label.width - 1);
  for (let y = 0; y < height; y++) {
    const src = Math.min(Math.floor((y + 0.5) * sy), label.height - 1) * label.width;
    const dst = y * width;
    for (let x = 0; x < width; x++) for (let k = 0; k < c; k++) out.data[(dst + x) * c + k] = label.data[(src + cols[x]) * c + k];
  }
  return out;
}

/** torchvision's resize to an int: the shorter side becomes `size`, the longer int(size · long / short). */
export function shorterSideSize(height: number, width: number, size: number): [number, number] {
  if (height <= width) return [size, Math.floor((size * width) / height)];
  return [Math.floor((size * height) / width), size];
}

/** Resizes image (PIL bilinear) and label (nearest) so the shorter side is `size`. */
export function resizeLabelledShorterSide(s: LabelledImage, size: number): LabelledImage {
  check(s, 'resizeLabelledShorterSide');
  if (!(Number.isInteger(size) && size >= 1)) throw new Error(`resizeLabelledShorterSide: size must be a positive integer, got ${size}`);
  const [h, w] = shorterSideSize(s.image.height, s.image.width, size);
  if (h === s.image.height && w === s.image.width) return s;
  return { image: pilResize(s.image, h, w, 'bilinear'), label: resizeNearestLabel(s.label, h, w) };
}

/** RandomResize(min, max): the shorter side to a uniform integer in [min, max]. */
export function randomResizeLabelled(s: LabelledImage, minSize: number, maxSize: number, rng: Rng): LabelledImage {
  if (!(Number.isInteger(minSize) && minSize >= 1 && Number.isInteger(maxSize) && maxSize >= minSize)) throw new Error(`randomResizeLabelled: sizes must be integers with 1 <= min <= max, got [${minSize}, ${maxSize}]`);
  return resizeLabelledShorterSide(s, minSize + rng.int(maxSize - minSize + 1));
}

/** Flips image and label left-right when one uniform draw is below p (one draw per sample, as torchvision). */
export function randomFlipLabelled(s: LabelledImage, p: number, rng: Rng): LabelledImage {
  if (!(p >= 0 && p <= 1)) throw new Error(`randomFlipLabelled: p must be in [0, 1], got ${p}`);
  return rng.next() < p ? { image: horizontalFlip(s.image), label: horizontalFlip(s.label) } : s;
}

/** Pads the bottom and right to at least size x size: image with 0, label with 255 (pad_if_smaller). */
export function padLabelledToAtLeast(s: LabelledImage, size: number): LabelledImage {
  check(s, 'padLabelledToAtLeast');
  const { height: h, width: w } = s.image;
  const ph = Math.max(h, size);
  const pw = Math.max(w, size);
  if (ph === h && pw === w) return s;
  const image = createImage(ph, pw, 3);
  const label = createImage(ph, pw, 1);
  label.data.fill(IGNORE_INDEX);
  for (let y = 0; y < h; y++) {
    image.data.set(s.image.data.subarray(y * w * 3, (y + 1) * w * 3), y * pw * 3);
    label.data.set(s.label.data.subarray(y * w, (y + 1) * w), y * pw);
  }
  return { image, label };
}

/** The size x size window at (top, left) of image and label. */
export function cropLabelled(s: LabelledImage, top: number, left: number, size: number): LabelledImage {
  const { height: h, width: w } = s.image;
  if (!(top >= 0 && left >= 0 && top + size <= h && left + size <= w)) throw new Error(`cropLabelled: window ${size}x${size} at (${top}, ${left}) is outside the ${w}x${h} image`);
  const image = createImage(size, size, 3);
  const label = createImage(size, size, 1);
  for (let y = 0; y < size; y++) {
    const row = (top + y) * w + left;
    image.data.set(s.image.data.subarray(row * 3, (row + size) * 3), y * size * 3);
    label.data.set(s.label.data.subarray(row, row + size), y * size);
  }
  return { image, label };
}

/** RandomCrop(size) after pad_if_smaller: top in [0, H - size], left in [0, W - size], uniform. */
export function randomCropLabelled(s: LabelledImage, size: number, rng: Rng): LabelledImage {
  if (!(Number.isInteger(size) && size >= 1)) throw new Error(`randomCropLabelled: size must be a positive integer, got ${size}`);
  const padded = padLabelledToAtLeast(s, size);
  const top = rng.int(padded.image.height - size + 1);
  const left = rng.int(padded.image.width - size + 1);
  return cropLabelled(padded, top, left, size);
}

export interface TrainAugmentOptions {
  /** Shorter side drawn from [min, max] (torchvision: [0.5 · 520, 2 · 520] = [260, 1040]). */
  scale: [number, number];
  /** Square crop side (torchvision: 480). */
  cropSize: number;
  /** Horizontal flip probability (torchvision: 0.5). */
  flipProb: number;
}

/** The training preset: resize, flip, crop, in torchvision's order. */
export function segmentationTrainAugment(s: LabelledImage, o: TrainAugmentOptions, rng: Rng): LabelledImage {
  check(s, 'segmentationTrainAugment');
  return randomCropLabelled(randomFlipLabelled(randomResizeLabelled(s, o.scale[0], o.scale[1], rng), o.flipProb, rng), o.cropSize, rng);
}

/**
 * 8-bit HWC RGB to the model's input, (x / 255 − mean) / std per channel, written at `offset` of
 * `out` (a batch's NHWC buffer).
 */
export function normaliseInto(image: ImageU8, mean: readonly number[], std: readonly number[], out: Float32Array, offset = 0): void {
  if (image.channels !== 3) throw new Error(`normaliseInto: expected an RGB image, got ${image.channels} channels`);
  const n = image.height * image.width;
  if (offset + n * 3 > out.length) throw new Error(`normaliseInto: ${n * 3} values at offset ${offset} overrun the ${out.length}-value buffer`);
  const scale = std.map((v) => 1 / (255 * v));
  const shift = mean.map((m, c) => m / std[c]);
  const d = image.data;
  for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) out[offset + p * 3 + c] = d[p * 3 + c] * scale[c] - shift[c];
}
