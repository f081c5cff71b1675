/**
 * The training and evaluation sets a segmentation config names: paths under data.root, the
 * synthetic COCO-format shapes generated there first when the config has data.synth and the
 * files are missing, the training filter (minAnnotatedArea) on the training split only, and the
 * same class numbering on both.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateSyntheticCoco } from '@tfvision/coco';
import type { SegmentationTrainConfig } from './segmentation-config.js';
import { checkSameClasses, SegmentationSet, type SegmentationSplit } from './segmentation-data.js';

export function segmentationSplitPaths(c: SegmentationTrainConfig, which: 'train' | 'val', cwd = process.cwd()): SegmentationSplit {
  const root = resolve(cwd, c.data.root);
  return { annotations: resolve(root, c.data[which].annotations), images: resolve(root, c.data[which].images) };
}

/** Writes the config's synthetic train/val sets under data.root unless their annotations exist; true if it wrote any. */
export async function ensureSegmentationSynthData(c: SegmentationTrainConfig, cwd = process.cwd()): Promise<boolean> {
  const s = c.data.synth;
  if (!s) return false;
  let made = false;
  for (const which of ['train', 'val'] as const) {
    const split = segmentationSplitPaths(c, which, cwd);
    if (existsSync(split.annotations)) continue;
    const outDir = resolve(split.annotations, '..');
    if (resolve(split.images) !== join(outDir, 'images')) throw new Error(`data.synth: data.${which}.images must be the "images" folder beside data.${which}.annotations, got ${split.images}`);
    await generateSyntheticCoco({ outDir, images: s[which].images, seed: s[which].seed, size: s.size, colors: s.colors, maxOcclusion: s.maxOcclusion });
    made = true;
  }
  return made;
}

export async function openSegmentationSets(c: SegmentationTrainConfig, cwd = process.cwd()): Promise<{ trainSet: SegmentationSet; evalSet: SegmentationSet }> {
  await ensureSegmentationSynthData(c, cwd);
  const common = { categories: c.data.categories, cache: c.data.cache };
  const trainSet = await SegmentationSet.open(segmentationSplitPaths(c, 'train', cwd), { ...common, minAnnotatedArea: c.data.minAnnotatedArea }, 'data.train');
  const evalSet = await SegmentationSet.open(segmentationSplitPaths(c, 'val', cwd), common, 'data.val');
  checkSameClasses(trainSet.labels, evalSet.labels);
  if (trainSet.length === 0) throw new Error(`data.train: no training image has more than data.minAnnotatedArea ${c.data.minAnnotatedArea} pixels of annotation (${trainSet.skippedImages} skipped)`);
  return { trainSet, evalSet };
}
