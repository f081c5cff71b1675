/**
 * The class indices of a semantic segmentation set: 0 is background, category `categoryIds[k]`
 * is class k + 1, and 255 is ignored. The order is explicit because torchvision's COCO recipe
 * (references/segmentation/coco_utils.py, CAT_LIST) numbers its 20 VOC categories in VOC's
 * order, not by COCO id; without a list every category of the file is used, sorted by id.
 */
import type { CocoCategory } from '@tfvision/coco';

export const IGNORE_INDEX = 255;

/**
 * COCO category ids of PASCAL VOC's 20 classes in VOC's order (aeroplane, bicycle, bird, boat,
 * bottle, bus, car, cat, chair, cow, dining table, dog, horse, motorbike, person, potted plant,
 * sheep, sofa, train, tv monitor), as torchvision's CAT_LIST: the COCO_WITH_VOC_LABELS recipe.
 */
export const VOC_COCO_CATEGORY_IDS: readonly number[] = [5, 2, 16, 9, 44, 6, 3, 17, 62, 21, 67, 18, 19, 4, 1, 64, 20, 63, 7, 72];

export class SemanticLabels {
  /** `categoryIds[k]` is class k + 1. */
  readonly categoryIds: readonly number[];
  /** Class names, index = class (0 "background"). */
  readonly names: readonly string[];
  private readonly toClass = new Map<number, number>();

  constructor(categories: readonly CocoCategory[], order?: readonly number[]) {
    const byId = new Map(categories.map((c) => [c.id, c]));
    const ids = order ? [...order] : categories.map((c) => c.id).sort((a, b) => a - b);
    ids.forEach((id, k) => {
      if (!byId.has(id)) throw new Error(`SemanticLabels: category id ${id} (class ${k + 1}) is not among the dataset's categories [${[...byId.keys()].sort((a, b) => a - b).join(', ')}]`);
      if (this.toClass.has(id)) throw new Error(`SemanticLabels: category id ${id} is listed twice`);
      this.toClass.set(id, k + 1);
    });
    if (ids.length + 1 >= IGNORE_INDEX) throw new Error(`SemanticLabels: ${ids.length} categories leave no room below the ignore index ${IGNORE_INDEX}`);
    this.categoryIds = ids;
    this.names = ['background', ...ids.map((id) => (byId.get(id) as CocoCategory).name)];
  }

  /** Classes including background. */
  get numClasses(): number {
    return this.categoryIds.length + 1;
  }

  /** The class of a category id, or undefined when the category is not used (its pixels stay background). */
  classOf(categoryId: number): number | undefined {
    return this.toClass.get(categoryId);
  }
}
