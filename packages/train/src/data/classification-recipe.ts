/**
 * Classification's batch recipe for the step loader: a ClassificationDataset's images through an
 * ImageTransform, collated into one NHWC float32 batch normalised as (x/255 − mean) / std, with
 * the labels and dataset indices beside it. `createClassificationRecipe` is the worker threads'
 * entry: it calls the user's LoaderSource factory (WorkerFactorySpec) and wraps the result.
 */
import type { ImageTransform, ImageU8 } from '../augment/image.js';
import { writeFloatNormalized } from '../augment/normalize.js';
import { importFactory, type BatchRecipe } from './batch-recipe.js';
import type { Batch, ClassificationDataset, ClassificationSample, LoaderSourceFactory, WorkerFactorySpec } from './types.js';

export type ClassificationRecipe = BatchRecipe<ClassificationSample, ClassificationSample, Batch>;

export function checkNormalization(mean: number[], std: number[]): void {
  if (!Array.isArray(mean) || !Array.isArray(std) || mean.length !== std.length || (mean.length !== 1 && mean.length !== 3)) {
    throw new Error(`DataLoader: mean and std must both have 1 or 3 numbers, got mean=${JSON.stringify(mean)} std=${JSON.stringify(std)}`);
  }
  std.forEach((s, i) => {
    if (!(s > 0)) throw new Error(`DataLoader: std[${i}] must be > 0, got ${s}`);
  });
}

function collate(samples: ClassificationSample[], indices: Int32Array, mean: number[], std: number[]): Batch {
  const n = samples.length;
  const labels = new Int32Array(n);
  let images: Float32Array | undefined;
  let H = 0, W = 0, C = 0;
  for (let k = 0; k < n; k++) {
    const idx = indices[k];
    const img: ImageU8 = samples[k].image;
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

export function classificationRecipe(dataset: ClassificationDataset, transform: ImageTransform, mean: number[], std: number[]): ClassificationRecipe {
  return {
    dataset,
    transform: (s, rng) => ({ image: transform(s.image, rng), label: s.label }),
    collate: (items, indices) => collate(items, indices, mean, std),
    transfer: (b) => [b.images.buffer as ArrayBuffer, b.labels.buffer as ArrayBuffer, b.indices.buffer as ArrayBuffer],
  };
}

/** Worker entry (RecipeFactorySpec.exportName): the user's LoaderSource factory, wrapped. */
export async function createClassificationRecipe(args: { source: WorkerFactorySpec; mean: number[]; std: number[] }): Promise<ClassificationRecipe> {
  const { source, mean, std } = args;
  const factory = await importFactory<LoaderSourceFactory>({ module: source.module, exportName: source.exportName ?? 'createLoaderSource' });
  const { dataset, transform } = await factory(source.args);
  return classificationRecipe(dataset, transform, mean, std);
}
