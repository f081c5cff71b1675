/**
 * Detection's batch recipe for the step loader: the training set's samples, a @tfvision/coco
 * transform drawing from the sample's generator (the recipes': coco's randomHorizontalFlip of
 * image, boxes and masks), and batches that are the list of samples (resizing and padding
 * happen in the model's GeneralizedRCNNTransform). `createDetectionRecipe` is the worker
 * threads' entry: it opens the same split again.
 */
import { randomHorizontalFlip, type DetectionSample, type Transform } from '@tfvision/coco';
import type { BatchRecipe, IndexedDataset } from '../data/batch-recipe.js';
import type { DataSplitConfig } from '../config/common-specs.js';
import { DetectionTrainSet } from './detection-data.js';

export type DetectionRecipe = BatchRecipe<DetectionSample, DetectionSample, DetectionSample[]>;

/** What worker threads need to open the training set again. */
export interface DetectionWorkerSource {
  split: DataSplitConfig;
  masks: boolean;
}

export function detectionRecipe(dataset: IndexedDataset<DetectionSample>, transform: Transform): DetectionRecipe {
  // No transfer list: unflipped samples may be the dataset's own arrays, so they are copied out of a worker.
  return { dataset, transform, collate: (items) => items };
}

/** Worker entry (RecipeFactorySpec.exportName). */
export async function createDetectionRecipe(args: DetectionWorkerSource & { flipProb: number }): Promise<DetectionRecipe> {
  const set = await DetectionTrainSet.open(args.split, { masks: args.masks });
  return detectionRecipe(set, randomHorizontalFlip(args.flipProb));
}
