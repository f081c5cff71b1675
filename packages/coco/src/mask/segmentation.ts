/**
 * Any COCO `segmentation` to one RLE for an h x w image, with pycocotools' annToRLE rules:
 * a list whose first entry has 4 numbers is a list of boxes, a longer first entry means
 * polygons; the pieces of one object are merged (union); an RLE object keeps its own size.
 */
import type { Segmentation } from '../types.js';
import { countsFromString } from './codec.js';
import { rleFrBbox, rleFrPoly } from './poly.js';
import { rleMerge, type RleMask } from './rle.js';

/**
 * Decoded masks by segmentation object: loadRes decodes each result once for its area, and
 * COCOeval needs the same mask again (decoding compressed strings was the largest cost of a
 * val2017-sized segm evaluation). Weak keys: a mask lives as long as its annotation.
 */
const decoded = new WeakMap<object, { h: number; w: number; source: unknown; parts: number; rle: RleMask }>();

/** What a cached mask was decoded from, so an annotation edited in place is decoded again. */
function sourceOf(segm: Segmentation): { source: unknown; parts: number } {
  if (Array.isArray(segm)) return { source: segm[0], parts: segm.length };
  return { source: (segm as { counts?: unknown }).counts, parts: 0 };
}

/** The returned mask may be shared between calls: treat it as read-only. */
export function segmentationToRle(segm: Segmentation, h: number, w: number, where = 'segmentation'): RleMask {
  if (segm === null || typeof segm !== 'object') return decodeSegmentation(segm, h, w, where);
  const key = segm as unknown as object;
  const { source, parts } = sourceOf(segm);
  const hit = decoded.get(key);
  // An RLE object carries its own size; polygons and boxes depend on the image's.
  if (hit && hit.source === source && hit.parts === parts && (!Array.isArray(segm) || (hit.h === h && hit.w === w))) return hit.rle;
  const rle = decodeSegmentation(segm, h, w, where);
  decoded.set(key, { h, w, source, parts, rle });
  return rle;
}

function decodeSegmentation(segm: Segmentation, h: number, w: number, where: string): RleMask {
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
