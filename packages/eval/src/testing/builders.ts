/** Tiny builders for hand-made COCO cases in tests. */
import type { BBox, CocoAnnotation, CocoDataset, CocoResult } from '@tfvision/coco';

export function image(id: number, width = 400, height = 400) {
  return { id, width, height, file_name: `${id}.jpg` };
}

export function gtBox(id: number, imageId: number, categoryId: number, bbox: BBox, extra: Partial<CocoAnnotation> = {}): CocoAnnotation {
  return { id, image_id: imageId, category_id: categoryId, bbox, area: bbox[2] * bbox[3], iscrowd: 0, ...extra };
}

export function det(imageId: number, categoryId: number, bbox: BBox, score: number): CocoResult {
  return { image_id: imageId, category_id: categoryId, bbox, score };
}

export function dataset(images: number[], categories: number[], annotations: CocoAnnotation[]): CocoDataset {
  return { images: images.map((id) => image(id)), categories: categories.map((id) => ({ id, name: `c${id}` })), annotations };
}
