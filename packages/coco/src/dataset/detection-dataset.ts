import { join } from 'node:path';
import { CocoIndex } from '../index-api/coco-index.js';
import { readCocoFile } from '../read.js';
import type { DetectionSample } from '../transforms/sample.js';
import type { CocoDataset, CocoImage } from '../types.js';
import { decodeImage } from './image.js';
import { LabelMap, annotationsToTargets, type CrowdPolicy } from './targets.js';

export interface DetectionDatasetOptions {
  /** Folder the images' `file_name`s are relative to. */
  imageDir: string;
  /** Produce per-instance masks (Mask R-CNN); off by default, masks cost h*w bytes each. */
  masks?: boolean;
  /** 'separate' (default): crowds go to crowdBoxes/crowdMasks; 'drop': they are removed. */
  crowd?: CrowdPolicy;
  /** First contiguous label: 1 (default, 0 = background) or 0. */
  firstLabel?: 0 | 1;
  /**
   * Leave out images with no usable (non-crowd, non-degenerate) annotation, as torchvision's
   * and detectron2's training pipelines do. Off by default (evaluation wants every image).
   */
  skipEmptyImages?: boolean;
  /** See DecodeImageOptions.applyExifOrientation. */
  applyExifOrientation?: boolean;
  /** 'uint8' (default; what resizeShortestEdge takes) or 'float32' (0..255 as floats). */
  imageDtype?: 'uint8' | 'float32';
}

/** Counts found when the dataset was opened, so silent filtering is never silent. */
export interface DetectionDatasetSummary {
  images: number;
  /** Images left out by skipEmptyImages. */
  skippedImages: number;
  annotations: number;
  crowdAnnotations: number;
  /** Non-crowd annotations whose box, clipped to the image, has no width or height. */
  degenerateBoxes: number;
}

/**
 * A detection/instance-segmentation dataset over a COCO instances file and an image folder.
 * `get(i)` decodes image i with sharp and returns it with its targets (see
 * annotationsToTargets for the box, crowd and label rules).
 */
export class CocoDetectionDataset {
  readonly index: CocoIndex;
  readonly labels: LabelMap;
  readonly imageIds: number[];
  readonly summary: DetectionDatasetSummary;

  constructor(
    readonly coco: CocoDataset,
    readonly options: DetectionDatasetOptions,
  ) {
    this.index = new CocoIndex(coco);
    this.labels = new LabelMap(coco.categories, options.firstLabel ?? 1);
    const imageIds: number[] = [];
    let skippedImages = 0;
    let degenerateBoxes = 0;
    let crowdAnnotations = 0;
    for (const img of coco.images) {
      const targets = annotationsToTargets(this.index.imgToAnns.get(img.id) ?? [], img.height, img.width, this.labels, { crowd: 'separate' });
      degenerateBoxes += targets.degenerateDropped;
      crowdAnnotations += targets.crowdBoxes.length / 4;
      if (options.skipEmptyImages && targets.labels.length === 0) skippedImages++;
      else imageIds.push(img.id);
    }
    this.imageIds = imageIds;
    this.summary = { images: imageIds.length, skippedImages, annotations: coco.annotations.length, crowdAnnotations, degenerateBoxes };
  }

  /** Reads and validates `annotationFile`, then indexes it. */
  static async open(annotationFile: string, options: DetectionDatasetOptions): Promise<CocoDetectionDataset> {
    return new CocoDetectionDataset(await readCocoFile(annotationFile), options);
  }

  get length(): number {
    return this.imageIds.length;
  }

  imageInfo(i: number): CocoImage {
    const id = this.imageIds[i];
    if (id === undefined) throw new RangeError(`CocoDetectionDataset: index ${i} is outside 0..${this.length - 1}`);
    return this.index.loadImgs(id)[0];
  }

  async get(i: number): Promise<DetectionSample> {
    const info = this.imageInfo(i);
    const path = join(this.options.imageDir, info.file_name);
    const image = await decodeImage(path, { applyExifOrientation: this.options.applyExifOrientation, dtype: this.options.imageDtype });
    if (image.width !== info.width || image.height !== info.height) {
      throw new Error(`${path}: image is ${image.width}x${image.height} but the annotations (image id ${info.id}) say ${info.width}x${info.height}`);
    }
    const targets = annotationsToTargets(this.index.imgToAnns.get(info.id) ?? [], info.height, info.width, this.labels, {
      masks: this.options.masks,
      crowd: this.options.crowd,
    });
    return {
      imageId: info.id,
      fileName: info.file_name,
      image,
      originalSize: [info.height, info.width],
      contentSize: [info.height, info.width],
      ...targets,
    };
  }
}
