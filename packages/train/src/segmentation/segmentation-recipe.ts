/**
 * Segmentation's batch recipe for the step loader: the training set's samples, torchvision's
 * training preset (random resize, flip, crop; segmentation-transforms.ts) drawn from the sample's
 * generator, and batches of cropSize-square crops in one NHWC array normalised to the model's
 * mean/std, with the labels beside them (255 ignored). `createSegmentationRecipe` is the worker
 * threads' entry: it opens the same split again.
 */
import type { BatchRecipe, IndexedDataset } from '../data/batch-recipe.js';
import type { DataSplitConfig } from '../config/common-specs.js';
import { SegmentationSet, type SegmentationSample, type SegmentationSetOptions } from './segmentation-data.js';
import { normaliseInto, segmentationTrainAugment, type LabelledImage, type TrainAugmentOptions } from './segmentation-transforms.js';

/** One training batch: images NHWC [n, size, size, 3] normalised, labels [n · size · size] (255 ignored). */
export interface SegmentationBatch {
  images: Float32Array;
  labels: Int32Array;
  n: number;
  size: number;
  /** Dataset index of each sample. */
  indices: number[];
}

export type SegmentationRecipe = BatchRecipe<SegmentationSample, LabelledImage, SegmentationBatch>;

export interface SegmentationRecipeOptions extends TrainAugmentOptions {
  /** The model's per-channel mean and std on [0, 1] RGB. */
  mean: readonly number[];
  std: readonly number[];
}

/** What worker threads need to open the training set again. */
export interface SegmentationWorkerSource {
  split: DataSplitConfig;
  options: SegmentationSetOptions;
}

export function segmentationRecipe(dataset: IndexedDataset<SegmentationSample>, o: SegmentationRecipeOptions): SegmentationRecipe {
  const size = o.cropSize;
  const plane = size * size;
  return {
    dataset,
    transform: (sample, rng) => segmentationTrainAugment(sample, o, rng),
    collate(items, indices) {
      const n = items.length;
      const images = new Float32Array(n * plane * 3);
      const labels = new Int32Array(n * plane);
      items.forEach(({ image, label }, j) => {
        normaliseInto(image, o.mean, o.std, images, j * plane * 3);
        labels.set(label.data, j * plane);
      });
      return { images, labels, n, size, indices: Array.from(indices) };
    },
    transfer: (b) => [b.images.buffer as ArrayBuffer, b.labels.buffer as ArrayBuffer],
  };
}

/** Worker entry (RecipeFactorySpec.exportName). */
export async function createSegmentationRecipe(args: SegmentationWorkerSource & { recipe: SegmentationRecipeOptions }): Promise<SegmentationRecipe> {
  const set = await SegmentationSet.open(args.split, args.options);
  return segmentationRecipe(set, args.recipe);
}
