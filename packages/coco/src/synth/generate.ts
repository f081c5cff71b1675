import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { CocoAnnotation, CocoDataset, CocoImage } from '../types.js';
import { SeededRandom } from './prng.js';
import { generateOccludedScene, SYNTH_MAX_OBJECTS, SYNTH_MIN_RADIUS, type SynthColors } from './occluded-scene.js';
import { generateScene } from './scene.js';
import { SHAPE_CATEGORIES } from './shapes.js';

export interface SyntheticCocoOptions {
  /** Folder to write into: `images/*.png` and `annotations.json`. Created if absent. */
  outDir: string;
  /** Number of images. */
  images: number;
  seed: number;
  /** Image width in pixels (height is this or 3/4 of it). Default 128. */
  size?: number;
  /**
   * 'category' (default): each category has its own colour. 'random': every instance gets a
   * random colour, so only the shape tells the class (and AP measures shape recognition).
   */
  colors?: SynthColors;
  /**
   * Largest fraction of an instance that later shapes may cover, in [0, 0.9]. Default 0 with
   * category colours (no overlap) and 0.4 with random colours. Occluded instances are annotated
   * by their visible pixels (compressed RLE segmentation, its box and area).
   */
  maxOcclusion?: number;
  /**
   * Smallest circumradius in pixels of the log-uniform shapes (the largest is 0.48 of the short
   * side), for random-colour or occluded scenes. Default 4: tiny shapes whose class a few pixels
   * barely show; a larger value leaves COCO's small objects out (a quicker detection task).
   */
  minRadius?: number;
  /**
   * Most log-uniform shapes per random-colour or occluded image (each image draws 1..maxObjects,
   * besides the occasional large shape and crowd region), in 1..20. Default 6; fewer objects and
   * fewer overlaps make a quicker detection task.
   */
  maxObjects?: number;
}

export interface SyntheticCoco {
  annotationFile: string;
  imageDir: string;
  dataset: CocoDataset;
}

export const SYNTH_DEFAULT_SIZE = 128;
/** maxOcclusion when colours are random and none is given. */
export const SYNTH_DEFAULT_RANDOM_OCCLUSION = 0.4;

/**
 * Writes a synthetic COCO instances dataset of coloured shapes: PNG images and an
 * annotations.json with polygons, true mask areas, a few crowd regions (RLE) and five
 * categories. The same options always give the same bytes. With `colors: 'random'` (and
 * `maxOcclusion`) the class is the shape alone and shapes may overlap (occluded-scene.ts).
 */
export async function generateSyntheticCoco(options: SyntheticCocoOptions): Promise<SyntheticCoco> {
  const { outDir, images, seed } = options;
  const size = options.size ?? SYNTH_DEFAULT_SIZE;
  if (!Number.isInteger(images) || images < 1) throw new Error(`generateSyntheticCoco: images must be a positive integer, got ${images}`);
  if (!Number.isSafeInteger(seed)) throw new Error(`generateSyntheticCoco: seed must be an integer, got ${seed}`);
  if (!Number.isInteger(size) || size < 32 || size > 4096) throw new Error(`generateSyntheticCoco: size must be an integer in 32..4096, got ${size}`);
  const colors = options.colors ?? 'category';
  if (colors !== 'category' && colors !== 'random') throw new Error(`generateSyntheticCoco: colors must be "category" or "random", got ${JSON.stringify(colors)}`);
  const maxOcclusion = options.maxOcclusion ?? (colors === 'random' ? SYNTH_DEFAULT_RANDOM_OCCLUSION : 0);
  if (!(maxOcclusion >= 0 && maxOcclusion <= 0.9)) throw new Error(`generateSyntheticCoco: maxOcclusion must be in [0, 0.9], got ${maxOcclusion}`);
  const minRadius = options.minRadius ?? SYNTH_MIN_RADIUS;
  const largest = 0.48 * (size * 3) / 4;
  if (!(minRadius >= 1 && minRadius <= largest)) throw new Error(`generateSyntheticCoco: minRadius must be in [1, ${largest}] (0.48 of the short side of a ${size} px image), got ${minRadius}`);
  const maxObjects = options.maxObjects ?? SYNTH_MAX_OBJECTS;
  if (!Number.isInteger(maxObjects) || maxObjects < 1 || maxObjects > 20) throw new Error(`generateSyntheticCoco: maxObjects must be an integer in 1..20, got ${maxObjects}`);
  // The default scenes keep their own generator, so their bytes never change.
  const classic = colors === 'category' && maxOcclusion === 0;
  if (classic && options.minRadius !== undefined) throw new Error('generateSyntheticCoco: minRadius applies to random-colour or occluded scenes (colors "random" or maxOcclusion > 0)');
  if (classic && options.maxObjects !== undefined) throw new Error('generateSyntheticCoco: maxObjects applies to random-colour or occluded scenes (colors "random" or maxOcclusion > 0)');

  const imageDir = join(outDir, 'images');
  await mkdir(imageDir, { recursive: true });
  const rng = new SeededRandom(seed);
  const cocoImages: CocoImage[] = [];
  const annotations: CocoAnnotation[] = [];
  const digits = Math.max(6, String(images).length);
  for (let i = 1; i <= images; i++) {
    const scene = classic ? generateScene(rng, size) : generateOccludedScene(rng, size, { colors, maxOcclusion, minRadius, maxObjects });
    const fileName = `${String(i).padStart(digits, '0')}.png`;
    const png = await sharp(scene.pixels, { raw: { width: scene.width, height: scene.height, channels: 3 } }).png().toBuffer();
    await writeFile(join(imageDir, fileName), png);
    cocoImages.push({ id: i, width: scene.width, height: scene.height, file_name: fileName });
    for (const obj of scene.objects) annotations.push({ id: annotations.length + 1, image_id: i, ...obj });
  }
  const dataset: CocoDataset = {
    info: { description: 'tfvision synthetic shapes', version: '1', contributor: 'tfvision', url: '', year: 2026, seed, size, ...(classic ? {} : { colors, maxOcclusion, ...(options.minRadius !== undefined ? { minRadius } : {}), ...(options.maxObjects !== undefined ? { maxObjects } : {}) }) },
    licenses: [],
    images: cocoImages,
    annotations,
    categories: SHAPE_CATEGORIES.map((c) => ({ id: c.id, name: c.name, supercategory: 'shape', color: c.color })),
  };
  const annotationFile = join(outDir, 'annotations.json');
  await writeFile(annotationFile, JSON.stringify(dataset));
  return { annotationFile, imageDir, dataset };
}
