/**
 * Where a detection or segmentation config's COCO-format data lives: the train/val paths under
 * data.root, the check that they exist (one line naming the config file and field), and the
 * synthetic shapes written there first when the config has data.synth and the files are missing.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateSyntheticCoco } from '@tfvision/coco';
import type { DataSplitConfig, SynthDataConfig } from './common-specs.js';
import { ConfigError } from './schema.js';

/** The data block both configs share. */
export interface CocoDataConfig {
  /** Folder train/val paths are relative to (itself relative to the working directory). */
  root: string;
  train: DataSplitConfig;
  val: DataSplitConfig;
  synth?: SynthDataConfig;
}

/** A split's annotations file and image folder as absolute paths. */
export function splitPaths(c: { data: CocoDataConfig }, which: 'train' | 'val', cwd = process.cwd()): DataSplitConfig {
  const root = resolve(cwd, c.data.root);
  return { annotations: resolve(root, c.data[which].annotations), images: resolve(root, c.data[which].images) };
}

/** Stops with one line naming the config file and field when a data path is missing. */
export function checkDataPaths(c: { data: CocoDataConfig }, source: string, cwd = process.cwd()): void {
  for (const which of ['train', 'val'] as const) {
    const split = splitPaths(c, which, cwd);
    const hint = `(data.root ${c.data.root}; pass --data DIR)`;
    if (!existsSync(split.annotations)) throw new ConfigError(`${source}: data.${which}.annotations: ${split.annotations} does not exist ${hint}`);
    if (!existsSync(split.images) || !statSync(split.images).isDirectory()) throw new ConfigError(`${source}: data.${which}.images: ${split.images} is not a directory ${hint}`);
  }
}

/** Writes the config's synthetic train/val sets under data.root unless their annotations exist; true if it wrote any. */
export async function ensureSynthData(c: { data: CocoDataConfig }, cwd = process.cwd()): Promise<boolean> {
  const s = c.data.synth;
  if (!s) return false;
  let made = false;
  for (const which of ['train', 'val'] as const) {
    const split = splitPaths(c, which, cwd);
    if (existsSync(split.annotations)) continue;
    const outDir = resolve(split.annotations, '..');
    if (resolve(split.images) !== join(outDir, 'images')) throw new Error(`data.synth: data.${which}.images must be the "images" folder beside data.${which}.annotations, got ${split.images}`);
    await generateSyntheticCoco({ outDir, images: s[which].images, seed: s[which].seed, size: s.size, colors: s.colors, maxOcclusion: s.maxOcclusion });
    made = true;
  }
  return made;
}
