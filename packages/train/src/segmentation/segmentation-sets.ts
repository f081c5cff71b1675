/**
 * The training and evaluation sets a segmentation config names: paths under data.root, the
 * synthetic COCO-format shapes generated there first when the config has data.synth and the
 * files are missing, the training filter (minAnnotatedArea) on the training split only, and the
 * same class numbering on both.
 */
import { ensureSynthData, splitPaths } from '../config/data-splits.js';
import type { SegmentationTrainConfig } from './segmentation-config.js';
import { checkSameClasses, SegmentationSet } from './segmentation-data.js';

export async function openSegmentationSets(c: SegmentationTrainConfig, cwd = process.cwd()): Promise<{ trainSet: SegmentationSet; evalSet: SegmentationSet }> {
  await ensureSynthData(c, cwd);
  const common = { categories: c.data.categories, cache: c.data.cache };
  const trainSet = await SegmentationSet.open(splitPaths(c, 'train', cwd), { ...common, minAnnotatedArea: c.data.minAnnotatedArea }, 'data.train');
  const evalSet = await SegmentationSet.open(splitPaths(c, 'val', cwd), common, 'data.val');
  checkSameClasses(trainSet.labels, evalSet.labels);
  if (trainSet.length === 0) throw new Error(`data.train: no training image has more than data.minAnnotatedArea ${c.data.minAnnotatedArea} pixels of annotation (${trainSet.skippedImages} skipped)`);
  return { trainSet, evalSet };
}
