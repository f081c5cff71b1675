/**
 * pycocotools' COCO.loadRes: turns a results list into an annotation set on the ground
 * truth's images and categories. Ids become 1..N in file order and area/iscrowd are
 * overwritten; which branch applies is decided by the FIRST result, as pycocotools does:
 * with a (non-empty) `bbox` every result is a box result (area = w*h, and a box polygon as
 * segmentation when none is given); otherwise every result needs a `segmentation` (area =
 * pixel count, bbox from the mask when absent).
 */
import { rleArea, rleToBbox } from './mask/rle.js';
import { segmentationToRle } from './mask/segmentation.js';
import type { BBox, CocoAnnotation, CocoDataset, CocoResult } from './types.js';

/** A loaded results set: a CocoDataset whose annotations also carry their `score`. */
export interface CocoResultsDataset extends CocoDataset {
  annotations: (CocoAnnotation & { score: number })[];
}

function boxOf(value: unknown, where: string): BBox {
  if (!Array.isArray(value) || value.length !== 4 || value.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
    throw new Error(`${where}: expected 4 numbers [x, y, w, h], got ${JSON.stringify(value)}`);
  }
  return [value[0], value[1], value[2], value[3]];
}

export function loadRes(gt: CocoDataset, results: readonly CocoResult[], source = 'results'): CocoResultsDataset {
  if (!Array.isArray(results)) throw new Error(`${source}: expected a list of result objects, got ${typeof results}`);
  if (results.length === 0) throw new Error(`${source}: the results list is empty (pycocotools cannot evaluate it either)`);
  const images = new Map(gt.images.map((im) => [im.id, im]));
  results.forEach((r, i) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new Error(`${source}[${i}]: expected an object, got ${JSON.stringify(r)}`);
    if (!images.has(r.image_id)) throw new Error(`${source}[${i}].image_id: ${JSON.stringify(r.image_id)} is not an image of the ground truth`);
    if (typeof r.category_id !== 'number') throw new Error(`${source}[${i}].category_id: expected a number, got ${JSON.stringify(r.category_id)}`);
    if (typeof r.score !== 'number' || Number.isNaN(r.score)) throw new Error(`${source}[${i}].score: expected a number, got ${JSON.stringify(r.score)}`);
  });
  const first = results[0];
  const boxBranch = 'bbox' in first && !(Array.isArray(first.bbox) && first.bbox.length === 0);
  if (!boxBranch && !('segmentation' in first)) throw new Error(`${source}[0]: has neither bbox nor segmentation (keypoint and caption results are not supported)`);

  const annotations = results.map((r, i) => {
    let bbox: BBox;
    let area: number;
    let segmentation = r.segmentation;
    if (boxBranch) {
      bbox = boxOf(r.bbox, `${source}[${i}].bbox`);
      if (segmentation === undefined) {
        const [x1, y1] = bbox;
        const x2 = bbox[0] + bbox[2];
        const y2 = bbox[1] + bbox[3];
        segmentation = [[x1, y1, x1, y2, x2, y2, x2, y1]];
      }
      area = bbox[2] * bbox[3];
    } else {
      if (segmentation === undefined) throw new Error(`${source}[${i}].segmentation: missing (results[0] has no bbox, so every result needs a segmentation)`);
      const im = images.get(r.image_id);
      const rle = segmentationToRle(segmentation, im?.height ?? 0, im?.width ?? 0, `${source}[${i}].segmentation`);
      area = rleArea(rle);
      bbox = r.bbox !== undefined ? boxOf(r.bbox, `${source}[${i}].bbox`) : rleToBbox(rle);
    }
    // One object literal shape for every result keeps 500k-result sets fast to build and read.
    const ann: CocoAnnotation & { score: number } = { id: i + 1, image_id: r.image_id, category_id: r.category_id, bbox, area, iscrowd: 0, score: r.score, segmentation };
    for (const key in r) if (!(key in ann)) ann[key] = r[key];
    return ann;
  });
  return {
    images: gt.images,
    categories: gt.categories.map((c) => ({ ...c })),
    annotations,
  };
}
