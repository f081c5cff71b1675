/**
 * Semantic segmentation sets over COCO instances files, as torchvision's segmentation reference
 * builds them (references/segmentation/coco_utils.py, get_coco): images decoded to RGB, the
 * label map rasterised from the instance annotations (semantic-target.ts), and for training
 * only, images whose used annotations cover too little area left out (and counted).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CocoIndex, decodeImage, readCocoFile, type CocoDataset, type CocoImage } from '@tfvision/coco';
import type { ImageU8 } from '../augment/image.js';
import type { DataSplitConfig } from '../config/common-specs.js';
import { SemanticLabels } from './semantic-labels.js';
import { hasEnoughAnnotation, semanticTarget } from './semantic-target.js';

/** One image and its classes: `label` is one channel, 0 background, 1..K, 255 ignored. */
export interface SegmentationSample {
  imageId: number;
  fileName: string;
  image: ImageU8;
  label: ImageU8;
}

export interface SegmentationSetOptions {
  /** COCO category ids in class order (class k + 1 = ids[k]); default every category by id. */
  categories?: readonly number[];
  /** Keep only images whose used annotations sum to more than this area (torchvision: 1000 for training); default: keep all. */
  minAnnotatedArea?: number;
  /** Keep decoded samples in memory (small sets: each image is decoded and rasterised once). */
  cache?: boolean;
}

export class SegmentationSet {
  readonly labels: SemanticLabels;
  /** Images left out by minAnnotatedArea. */
  readonly skippedImages: number;
  private readonly images: CocoImage[];
  private readonly index: CocoIndex;
  private readonly cache?: Map<number, Promise<SegmentationSample>>;

  constructor(
    readonly coco: CocoDataset,
    readonly imageDir: string,
    options: SegmentationSetOptions = {},
  ) {
    this.labels = new SemanticLabels(coco.categories, options.categories);
    this.index = new CocoIndex(coco);
    const minArea = options.minAnnotatedArea;
    if (minArea !== undefined && !(minArea >= 0)) throw new Error(`SegmentationSet: minAnnotatedArea must be >= 0, got ${minArea}`);
    this.images = minArea === undefined ? [...coco.images] : coco.images.filter((img) => hasEnoughAnnotation(this.index.imgToAnns.get(img.id) ?? [], this.labels, minArea));
    this.skippedImages = coco.images.length - this.images.length;
    if (options.cache) this.cache = new Map();
  }

  static async open(split: DataSplitConfig, options: SegmentationSetOptions = {}, where = 'data'): Promise<SegmentationSet> {
    if (!existsSync(split.annotations)) throw new Error(`${where}.annotations: ${split.annotations} does not exist`);
    if (!existsSync(split.images) || !statSync(split.images).isDirectory()) throw new Error(`${where}.images: ${split.images} is not a directory`);
    return new SegmentationSet(await readCocoFile(split.annotations), split.images, options);
  }

  get length(): number {
    return this.images.length;
  }

  get(i: number): Promise<SegmentationSample> {
    if (!(Number.isInteger(i) && i >= 0 && i < this.images.length)) throw new Error(`SegmentationSet.get: index ${i} is outside 0..${this.images.length - 1}`);
    const hit = this.cache?.get(i);
    if (hit) return hit;
    const sample = this.load(this.images[i]);
    this.cache?.set(i, sample);
    return sample;
  }

  private async load(img: CocoImage): Promise<SegmentationSample> {
    const rgb = await decodeImage(join(this.imageDir, img.file_name));
    if (rgb.width !== img.width || rgb.height !== img.height) throw new Error(`SegmentationSet: ${img.file_name} is ${rgb.width}x${rgb.height}, its annotation says ${img.width}x${img.height}`);
    const label = semanticTarget(this.index.imgToAnns.get(img.id) ?? [], img.height, img.width, this.labels);
    return {
      imageId: img.id,
      fileName: img.file_name,
      image: rgb,
      label: { data: label, height: img.height, width: img.width, channels: 1 },
    };
  }
}

/** The training and evaluation sets must number the classes alike. */
export function checkSameClasses(train: SemanticLabels, val: SemanticLabels): void {
  const a = train.categoryIds.join(',');
  const b = val.categoryIds.join(',');
  if (a !== b) throw new Error(`segmentation data: the training classes (category ids [${a}]) differ from the evaluation classes [${b}]`);
}
