/**
 * Column-wise copies of the annotation fields the evaluator reads in its hot loops, so
 * matching touches typed arrays instead of objects. Also checks those fields, naming the
 * offending annotation, because a bad value would otherwise surface as a wrong AP.
 */
import type { BBox, CocoAnnotation } from '@tfvision/coco';

export interface AnnotationColumns {
  n: number;
  id: Float64Array;
  imageId: Float64Array;
  categoryId: Float64Array;
  area: Float64Array;
  crowd: Uint8Array;
  /** Detection score (results only; 0 for ground truth). */
  score: Float64Array;
  /** x, y, w, h per annotation. */
  box: Float64Array;
}

function num(v: unknown, where: string): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new Error(`${where}: expected a number, got ${JSON.stringify(v)}`);
  return v;
}

export function toColumns(anns: readonly CocoAnnotation[], source: string, opts: { needBox: boolean; isResults: boolean }): AnnotationColumns {
  const n = anns.length;
  const cols: AnnotationColumns = {
    n,
    id: new Float64Array(n),
    imageId: new Float64Array(n),
    categoryId: new Float64Array(n),
    area: new Float64Array(n),
    crowd: new Uint8Array(n),
    score: new Float64Array(n),
    box: new Float64Array(n * 4),
  };
  for (let i = 0; i < n; i++) {
    const a = anns[i];
    const where = `${source}[${i}]`;
    if (a === null || typeof a !== 'object') throw new Error(`${where}: expected an object, got ${JSON.stringify(a)}`);
    cols.id[i] = num(a.id, `${where}.id`);
    cols.imageId[i] = num(a.image_id, `${where}.image_id`);
    cols.categoryId[i] = num(a.category_id, `${where}.category_id`);
    cols.area[i] = num(a.area, `${where}.area`);
    // pycocotools treats any truthy iscrowd as a crowd; a missing one is not a crowd.
    cols.crowd[i] = a.iscrowd ? 1 : 0;
    if (opts.isResults) cols.score[i] = num((a as { score?: unknown }).score, `${where}.score`);
    const bbox = a.bbox as BBox | undefined;
    if (opts.needBox) {
      if (!Array.isArray(bbox) || bbox.length !== 4) throw new Error(`${where}.bbox: expected 4 numbers [x, y, w, h], got ${JSON.stringify(bbox)}`);
      for (let c = 0; c < 4; c++) cols.box[i * 4 + c] = num(bbox[c], `${where}.bbox[${c}]`);
    }
  }
  return cols;
}
