/**
 * Any COCO `segmentation` to one RLE for an h x w image, with pycocotools' annToRLE rules:
 * a list whose first entry has 4 numbers is a list of boxes, a longer first entry means
 * polygons; the pieces of one object are merged (union); an RLE object keeps its own size.
 */
import type { Segmentation } from '../types.js';
import { countsFromString } from './codec.js';
import { rleFrBbox, rleFrPoly } from './poly.js';
import { rleMerge, type RleMask } from './rle.js';

export function segmentationToRle(segm: Segmentation, h: number, w: number, where = 'segmentation'): RleMask {
  if (Array.isArray(segm)) {
    if (segm.length === 0 || !Array.isArray(segm[0])) throw new Error(`${where}: expected a non-empty list of polygons, got ${JSON.stringify(segm).slice(0, 60)}`);
    const first = segm[0].length;
    if (first === 4) {
      return rleMerge(
        segm.map((box, i) => {
          if (!Array.isArray(box) || box.length !== 4) throw new Error(`${where}[${i}]: expected a box of 4 numbers like ${where}[0], got ${JSON.stringify(box).slice(0, 60)}`);
          return rleFrBbox(box, h, w);
        }),
      );
    }
    if (first < 4) throw new Error(`${where}[0]: a polygon needs at least 3 points (6 numbers), got ${first} numbers`);
    return rleMerge(
      segm.map((poly, i) => {
        if (!Array.isArray(poly)) throw new Error(`${where}[${i}]: expected a polygon (list of numbers), got ${JSON.stringify(poly).slice(0, 60)}`);
        return rleFrPoly(poly, h, w);
      }),
    );
  }
  if (segm === null || typeof segm !== 'object' || !Array.isArray(segm.size) || segm.size.length !== 2) {
    throw new Error(`${where}: expected polygons or an RLE {size: [h, w], counts}, got ${JSON.stringify(segm).slice(0, 60)}`);
  }
  const [rh, rw] = segm.size;
  if (typeof segm.counts === 'string') return { h: rh, w: rw, counts: countsFromString(segm.counts) };
  if (Array.isArray(segm.counts)) {
    const counts = new Uint32Array(segm.counts.length);
    for (let i = 0; i < counts.length; i++) {
      const c = segm.counts[i];
      if (!Number.isInteger(c) || c < 0) throw new Error(`${where}.counts[${i}]: expected a non-negative integer, got ${JSON.stringify(c)}`);
      counts[i] = c;
    }
    return { h: rh, w: rw, counts };
  }
  throw new Error(`${where}.counts: expected a string or a list of integers, got ${JSON.stringify(segm.counts).slice(0, 60)}`);
}
