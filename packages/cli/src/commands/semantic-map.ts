/**
 * A COCO image's instance annotations as one semantic label map, by the rule of torchvision's
 * segmentation reference (references/segmentation/coco_utils.py, ConvertCocoPolysToMask over
 * FilterAndRemapCocoCategories): each category's pixels get its contiguous index (categories
 * sorted by id: 1..K, 0 = background), a pixel covered by more than one instance is ignored
 * (`masks.sum(0) > 1` → 255), and, beyond torchvision (which does not look at `iscrowd`), every
 * pixel of a crowd region is ignored too, as crowd regions are in COCO's own evaluation.
 */
import { LabelMap, annotationMask, type CocoAnnotation, type CocoCategory } from '@tfvision/coco';

export const IGNORE_LABEL = 255;

/** Row-major [height * width] labels: 0 background, 1..K categories, `ignoreLabel` (255) ignored. */
export function semanticMap(anns: readonly CocoAnnotation[], height: number, width: number, labels: LabelMap, ignoreLabel = IGNORE_LABEL): Uint8Array {
  if (!(Number.isInteger(ignoreLabel) && ignoreLabel > labels.numClasses && ignoreLabel <= 255)) {
    throw new Error(`semanticMap: ignoreLabel must be an integer in [${labels.numClasses + 1}, 255] (above the ${labels.numClasses} category labels, 8-bit), got ${ignoreLabel}`);
  }
  const plane = height * width;
  const map = new Uint8Array(plane);
  const covered = new Uint8Array(plane);
  const crowd = new Uint8Array(plane);
  for (const ann of anns) {
    const mask = annotationMask(ann, height, width);
    if (ann.iscrowd === 1) {
      for (let p = 0; p < plane; p++) if (mask[p]) crowd[p] = 1;
      continue;
    }
    const label = labels.label(ann.category_id);
    for (let p = 0; p < plane; p++) {
      if (!mask[p]) continue;
      covered[p] = Math.min(covered[p] + 1, 2);
      map[p] = label;
    }
  }
  for (let p = 0; p < plane; p++) if (covered[p] > 1 || crowd[p]) map[p] = ignoreLabel;
  return map;
}

/** The contiguous labels of a dataset's categories (1-based, 0 = background). */
export function semanticLabels(categories: readonly CocoCategory[]): LabelMap {
  return new LabelMap(categories, 1);
}
