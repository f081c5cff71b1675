/** Builds one normalised NHWC batch from dataset indices; shared by in-process and worker loading. */
import type { Transform } from '../augment/image.js';
import { writeFloatNormalized } from '../augment/normalize.js';
import { sampleRng } from './sampling.js';
import type { Batch, ClassificationDataset } from './types.js';

export function checkNormalization(mean: number[], std: number[]): void {
  if (!Array.isArray(mean) || !Array.isArray(std) || mean.length !== std.length || (mean.length !== 1 && mean.length !== 3)) {
    throw new Error(`DataLoader: mean and std must both have 1 or 3 numbers, got mean=${JSON.stringify(mean)} std=${JSON.stringify(std)}`);
  }
  std.forEach((s, i) => {
    if (!(s > 0)) throw new Error(`DataLoader: std[${i}] must be > 0, got ${s}`);
  });
}

export async function assembleBatch(
  ds: ClassificationDataset, transform: Transform, seed: number, epoch: number, indices: Int32Array, mean: number[], std: number[],
): Promise<Batch> {
  const n = indices.length;
  // Decoding is asynchronous (sharp runs it on libuv threads), so start every read at once.
  const samples = await Promise.all(Array.from(indices, (i) => ds.get(i)));
  const labels = new Int32Array(n);
  let images: Float32Array | undefined;
  let H = 0, W = 0, C = 0;
  for (let k = 0; k < n; k++) {
    const idx = indices[k];
    const img = transform(samples[k].image, sampleRng(seed, epoch, idx));
    if (k === 0) {
      H = img.height; W = img.width; C = img.channels;
      if (mean.length !== C) throw new Error(`DataLoader: mean/std have ${mean.length} values but images have ${C} channels`);
      images = new Float32Array(n * H * W * C);
    } else if (img.height !== H || img.width !== W || img.channels !== C) {
      throw new Error(`DataLoader: sample ${idx} is ${img.height}x${img.width}x${img.channels} after the transform, but the batch is ${H}x${W}x${C} (add a crop/resize to a fixed size)`);
    }
    if (img.data.length !== H * W * C) throw new Error(`DataLoader: sample ${idx}: image data has ${img.data.length} bytes, expected ${H * W * C}`);
    writeFloatNormalized(img, mean, std, images!, k * H * W * C);
    const y = samples[k].label;
    if (!Number.isInteger(y) || y < 0) throw new Error(`DataLoader: sample ${idx} has label ${y}, expected an integer >= 0`);
    labels[k] = y;
  }
  return { images: images ?? new Float32Array(0), labels, n, height: H, width: W, channels: C, indices: Int32Array.from(indices) };
}
