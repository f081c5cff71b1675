import { decodeRle, segmentationToRle } from '../mask/index.js';
import type { CocoAnnotation, CocoCategory } from '../types.js';

/**
 * Contiguous training labels for COCO's sparse category ids (COCO's 80 classes use ids 1..90).
 * Categories are sorted by id; the first gets `firstLabel`. With the default 1 the labels are
 * 1..K and 0 is background (torchvision's detection models); with 0 they are 0..K-1
 * (detectron2's convention).
 */
export class LabelMap {
  readonly categoryIds: number[];
  private readonly toLabel = new Map<number, number>();

  constructor(
    categories: readonly CocoCategory[],
    readonly firstLabel: 0 | 1 = 1,
  ) {
    this.categoryIds = categories.map((c) => c.id).sort((a, b) => a - b);
    this.categoryIds.forEach((id, i) => this.toLabel.set(id, i + firstLabel));
  }

  get numClasses(): number {
    return this.categoryIds.length;
  }

  label(categoryId: number): number {
    const label = this.toLabel.get(categoryId);
    if (label === undefined) throw new Error(`LabelMap: no category with id ${categoryId}`);
    return label;
  }

  /** The COCO category id of a label, for writing results files. */
  categoryId(label: number): number {
    const id = this.categoryIds[label - this.firstLabel];
    if (id === undefined) throw new Error(`LabelMap: label ${label} is outside ${this.firstLabel}..${this.firstLabel + this.numClasses - 1}`);
    return id;
  }
}

/** What happens to iscrowd annotations. */
export type CrowdPolicy = 'separate' | 'drop';

/** Annotations of one image as arrays a model's loss can take directly. */
export interface DetectionTargets {
  /** N x 4, [x1, y1, x2, y2] in pixels, clipped to the image. */
  boxes: Float32Array;
  labels: Int32Array;
  /** COCO `area` of each kept annotation (the mask area, not the box area). */
  areas: Float32Array;
  annotationIds: number[];
  /** One row-major h*w 0/1 mask per kept annotation, when masks were asked for. */
  masks?: Uint8Array[];
  /** M x 4 xyxy boxes of crowd regions (empty when crowds are dropped). */
  crowdBoxes: Float32Array;
  crowdMasks?: Uint8Array[];
  /** Annotations dropped because their clipped box has no width or no height. */
  degenerateDropped: number;
  /** Crowd annotations dropped (policy 'drop'). */
  crowdDropped: number;
}

export interface TargetOptions {
  masks?: boolean;
  crowd?: CrowdPolicy;
}

/**
 * Converts one image's annotations as torchvision's detection reference does: [x, y, w, h]
 * becomes [x1, y1, x2, y2], clipped to the image; boxes with x2 <= x1 or y2 <= y1 after
 * clipping are dropped and counted. Crowd annotations are kept apart in `crowdBoxes` (so
 * matchers can ignore proposals on them, as Detectron did) or dropped (torchvision and
 * detectron2 training). Masks come from the segmentation with pycocotools' rasterisation; an
 * annotation without segmentation gets an empty mask.
 */
export function annotationsToTargets(
  anns: readonly CocoAnnotation[],
  height: number,
  width: number,
  labels: LabelMap,
  options: TargetOptions = {},
): DetectionTargets {
  const crowdPolicy = options.crowd ?? 'separate';
  const boxes: number[] = [];
  const labelList: number[] = [];
  const areas: number[] = [];
  const annotationIds: number[] = [];
  const masks: Uint8Array[] = [];
  const crowdBoxes: number[] = [];
  const crowdMasks: Uint8Array[] = [];
  let degenerateDropped = 0;
  let crowdDropped = 0;
  for (const ann of anns) {
    const [x, y, w, h] = ann.bbox;
    const x1 = clamp(x, 0, width);
    const y1 = clamp(y, 0, height);
    const x2 = clamp(x + w, 0, width);
    const y2 = clamp(y + h, 0, height);
    if (ann.iscrowd === 1) {
      if (crowdPolicy === 'drop') {
        crowdDropped++;
        continue;
      }
      crowdBoxes.push(x1, y1, x2, y2);
      if (options.masks) crowdMasks.push(annotationMask(ann, height, width));
      continue;
    }
    if (!(x2 > x1 && y2 > y1)) {
      degenerateDropped++;
      continue;
    }
    boxes.push(x1, y1, x2, y2);
    labelList.push(labels.label(ann.category_id));
    areas.push(ann.area);
    annotationIds.push(ann.id);
    if (options.masks) masks.push(annotationMask(ann, height, width));
  }
  return {
    boxes: Float32Array.from(boxes),
    labels: Int32Array.from(labelList),
    areas: Float32Array.from(areas),
    annotationIds,
    ...(options.masks ? { masks, crowdMasks } : {}),
    crowdBoxes: Float32Array.from(crowdBoxes),
    degenerateDropped,
    crowdDropped,
  };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** A row-major 0/1 mask of an annotation's segmentation. */
export function annotationMask(ann: CocoAnnotation, height: number, width: number): Uint8Array {
  const seg = ann.segmentation;
  if (seg === undefined || (Array.isArray(seg) && seg.length === 0)) return new Uint8Array(height * width);
  const rle = segmentationToRle(seg, height, width, `annotation ${ann.id} segmentation`);
  if (rle.h !== height || rle.w !== width) {
    throw new Error(`annotation ${ann.id}: segmentation size [${rle.h}, ${rle.w}] does not match its image [${height}, ${width}]`);
  }
  return decodeRle(rle);
}
