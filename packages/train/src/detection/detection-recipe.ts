/**
 * Detection's batch recipe for the step loader: the training set's samples, the horizontal flip
 * of image, boxes and masks drawn from the sample's generator (one uniform, flipped when it is
 * below flipProb, as torchvision's RandomHorizontalFlip), and batches that are the list of
 * samples (resizing and padding happen in the model's GeneralizedRCNNTransform).
 * `createDetectionRecipe` is the worker threads' entry: it opens the same split again.
 */
import { horizontalFlip, type DetectionSample } from '@tfvision/coco';
import type { BatchRecipe, IndexedDataset, SampleTransform } from '../data/batch-recipe.js';
import { DetectionTrainSet, type DetectionSplit } from './detection-data.js';

export type DetectionRecipe = BatchRecipe<DetectionSample, DetectionSample, DetectionSample[]>;

/** What worker threads need to open the training set again. */
export interface DetectionWorkerSource {
  split: DetectionSplit;
  masks: boolean;
}

export function detectionTrainTransform(flipProb: number): SampleTransform<DetectionSample, DetectionSample> {
  if (!(flipProb >= 0 && flipProb <= 1)) throw new Error(`detectionTrainTransform: flipProb must be in [0, 1], got ${flipProb}`);
  return (sample, rng) => (flipProb > 0 && rng.next() < flipProb ? horizontalFlip(sample) : sample);
}

export function detectionRecipe(dataset: IndexedDataset<DetectionSample>, flipProb: number): DetectionRecipe {
  // No transfer list: unflipped samples may be the dataset's own arrays, so they are copied out of a worker.
  return { dataset, transform: detectionTrainTransform(flipProb), collate: (items) => items };
}

/** Worker entry (RecipeFactorySpec.exportName). */
export async function createDetectionRecipe(args: DetectionWorkerSource & { flipProb: number }): Promise<DetectionRecipe> {
  const set = await DetectionTrainSet.open(args.split, { masks: args.masks });
  return detectionRecipe(set, args.flipProb);
}
