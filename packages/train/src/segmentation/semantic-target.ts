/**
 * One image's COCO instance annotations as a semantic label map, by torchvision's segmentation
 * reference (references/segmentation/coco_utils.py: FilterAndRemapCocoCategories, then
 * ConvertCocoPolysToMask): annotations of unused categories are dropped (their pixels stay
 * background, 0), each instance mask (polygons or RLE, rasterised with pycocotools' rules by
 * @tfvision/coco) paints its class, and a pixel covered by more than one instance is ignored
 * (`masks.sum(0) > 1` → 255). Beyond torchvision, which does not look at `iscrowd`, every pixel
 * of a crowd region is ignored too, as COCO's own evaluation ignores crowds.
 */
import { annotationMask, type CocoAnnotation } from '@tfvision/coco';
import { IGNORE_INDEX, type SemanticLabels } from './semantic-labels.js';

/** Row-major [height * width] classes: 0 background, 1..K categories, 255 ignored. */
export function semanticTarget(anns: readonly CocoAnnotation[], height: number, width: number, labels: SemanticLabels): Uint8Array {
  if (!(Number.isInteger(height) && height > 0 && Number.isInteger(width) && width > 0)) throw new Error(`semanticTarget: height and width must be positive integers, got ${height} x ${width}`);
  const plane = height * width;
  const map = new Uint8Array(plane);
  // 0 none, 1 one instance, 2 more than one (ignored), 3 crowd (ignored).
  const cover = new Uint8Array(plane);
  for (const ann of anns) {
    const k = labels.classOf(ann.category_id);
    if (k === undefined) continue;
    const mask = annotationMask(ann, height, width);
    if (ann.iscrowd === 1) {
      for (let p = 0; p < plane; p++) if (mask[p]) cover[p] = 3;
      continue;
    }
    for (let p = 0; p < plane; p++) {
      if (!mask[p]) continue;
      if (cover[p] === 0) {
        cover[p] = 1;
        map[p] = k;
      } else if (cover[p] === 1) cover[p] = 2;
    }
  }
  for (let p = 0; p < plane; p++) if (cover[p] > 1) map[p] = IGNORE_INDEX;
  return map;
}

/**
 * torchvision's training-set filter (_coco_remove_images_without_annotations for segmentation):
 * an image is kept when its annotations of used categories (crowds included) have a summed COCO
 * `area` above `minArea` (1000 in the reference).
 */
export function hasEnoughAnnotation(anns: readonly CocoAnnotation[], labels: SemanticLabels, minArea: number): boolean {
  let area = 0;
  let any = false;
  for (const a of anns) {
    if (labels.classOf(a.category_id) === undefined) continue;
    any = true;
    area += a.area;
  }
  return any && area > minArea;
}
