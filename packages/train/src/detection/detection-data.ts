/**
 * The detection training and evaluation sets over @tfvision/coco, with torchvision's detection
 * reference conventions (references/detection/coco_utils.py): boxes xyxy from COCO's xywh,
 * clipped; labels contiguous 1..K with 0 the background (the LabelMap keeps the way back to
 * category ids for results files); masks from polygons or RLE; crowd annotations dropped from
 * the training targets; training images with no usable annotation (all crowd, empty, or only
 * degenerate boxes) left out and counted, as torchvision's _coco_remove_images_without_annotations.
 */
import { existsSync, statSync } from 'node:fs';
import { CocoDetectionDataset, readCocoFile, type CocoDataset, type DetectionSample, type LabelMap } from '@tfvision/coco';
import type { DataSplitConfig } from '../config/common-specs.js';

export interface DetectionSetCounts {
  images: number;
  /** Training images left out because no non-crowd, non-degenerate annotation remains. */
  skippedImages: number;
  crowdAnnotations: number;
  degenerateBoxes: number;
}

/** A training set: samples with crowd-free targets, empty images skipped. */
export class DetectionTrainSet {
  private constructor(
    readonly dataset: CocoDetectionDataset,
    readonly counts: DetectionSetCounts,
  ) {}

  static async open(split: DataSplitConfig, options: { masks: boolean }): Promise<DetectionTrainSet> {
    const coco = await readSplit(split, 'train');
    return DetectionTrainSet.fromCoco(coco, split.images, options);
  }

  static fromCoco(coco: CocoDataset, imageDir: string, options: { masks: boolean }): DetectionTrainSet {
    const dataset = new CocoDetectionDataset(coco, { imageDir, masks: options.masks, crowd: 'drop', firstLabel: 1, skipEmptyImages: true });
    if (dataset.length === 0) throw new Error(`DetectionTrainSet: no training image has a usable (non-crowd, non-degenerate) annotation (${dataset.summary.skippedImages} skipped)`);
    const s = dataset.summary;
    return new DetectionTrainSet(dataset, { images: s.images, skippedImages: s.skippedImages, crowdAnnotations: s.crowdAnnotations, degenerateBoxes: s.degenerateBoxes });
  }

  get length(): number {
    return this.dataset.length;
  }

  get labels(): LabelMap {
    return this.dataset.labels;
  }

  get(i: number): Promise<DetectionSample> {
    return this.dataset.get(i);
  }

  /**
   * Sample i's aspect-ratio group from the annotation file's width and height (no decoding):
   * 1 when wider than high, else 0, detectron2's two groups.
   */
  aspectGroups(): Uint8Array {
    return Uint8Array.from(this.dataset.imageIds, (id) => {
      const img = this.dataset.index.imgs.get(id);
      if (!img) throw new Error(`DetectionTrainSet: image id ${id} is not in the annotation file's images`);
      return img.width > img.height ? 1 : 0;
    });
  }
}

/** The evaluation set: every image (COCOeval scores images without detections too), no targets needed. */
export class DetectionEvalSet {
  private constructor(
    readonly coco: CocoDataset,
    readonly dataset: CocoDetectionDataset,
  ) {}

  static async open(split: DataSplitConfig): Promise<DetectionEvalSet> {
    const coco = await readSplit(split, 'val');
    return DetectionEvalSet.fromCoco(coco, split.images);
  }

  static fromCoco(coco: CocoDataset, imageDir: string): DetectionEvalSet {
    return new DetectionEvalSet(coco, new CocoDetectionDataset(coco, { imageDir, crowd: 'drop', firstLabel: 1 }));
  }

  get length(): number {
    return this.dataset.length;
  }

  get(i: number): Promise<DetectionSample> {
    return this.dataset.get(i);
  }
}

async function readSplit(split: DataSplitConfig, name: string): Promise<CocoDataset> {
  if (!existsSync(split.annotations)) throw new Error(`data.${name}.annotations: ${split.annotations} does not exist`);
  if (!existsSync(split.images) || !statSync(split.images).isDirectory()) throw new Error(`data.${name}.images: ${split.images} is not a directory`);
  return readCocoFile(split.annotations);
}

/** The training and evaluation sets must name the same categories, or labels would mean different classes. */
export function checkSameCategories(train: LabelMap, val: LabelMap): void {
  const a = train.categoryIds.join(',');
  const b = val.categoryIds.join(',');
  if (a !== b) throw new Error(`detection data: the training categories [${a}] differ from the evaluation categories [${b}]`);
}
