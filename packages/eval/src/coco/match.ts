/**
 * Greedy matching of one image's detections (already score-sorted and cut to maxDets) to
 * its ground truths, for every IoU threshold, exactly as pycocotools' evaluateImg:
 * ignored GTs (crowd or out of area range) are tried last, a regular match stops the search
 * at the first ignored GT, a crowd can take any number of detections, and among equal IoUs
 * the later GT wins because the best only moves on a strictly larger IoU.
 */

/** A detection's outcome at one threshold. */
export const FP = 0;
export const TP = 1;
export const IGNORED = 2;

export interface MatchScratch {
  order: Int32Array;
  ignore: Uint8Array;
  taken: Uint8Array;
}

export function makeScratch(): MatchScratch {
  return { order: new Int32Array(16), ignore: new Uint8Array(16), taken: new Uint8Array(16) };
}

function ensure(s: MatchScratch, g: number): void {
  if (s.order.length >= g) return;
  const size = Math.max(g, s.order.length * 2);
  s.order = new Int32Array(size);
  s.ignore = new Uint8Array(size);
  s.taken = new Uint8Array(size);
}

export interface ImageCell {
  /** Number of GTs and detections in this cell. */
  G: number;
  D: number;
  /** IoU, row-major [d * G + g]; unused when G or D is 0. */
  iou: Float64Array;
  gtArea: Float64Array;
  gtCrowd: Uint8Array;
  gtId: Float64Array;
  dtArea: Float64Array;
}

/**
 * Writes the outcome of detection d at threshold t to `status[offset + t * stride + d]` and
 * returns the number of non-ignored GTs for this area range.
 */
export function matchCell(
  cell: ImageCell,
  areaLo: number,
  areaHi: number,
  iouThrs: readonly number[],
  scratch: MatchScratch,
  status: Uint8Array,
  offset: number,
  stride: number,
): number {
  const { G, D, iou, gtArea, gtCrowd, gtId, dtArea } = cell;
  ensure(scratch, G);
  const { order, ignore, taken } = scratch;
  // Stable partition: regular GTs first, ignored ones after, each in file order.
  let regular = 0;
  for (let g = 0; g < G; g++) {
    ignore[g] = gtCrowd[g] || gtArea[g] < areaLo || gtArea[g] > areaHi ? 1 : 0;
    if (!ignore[g]) regular++;
  }
  let front = 0;
  let back = regular;
  for (let g = 0; g < G; g++) {
    if (ignore[g]) order[back++] = g;
    else order[front++] = g;
  }

  for (let t = 0; t < iouThrs.length; t++) {
    const thr = Math.min(iouThrs[t], 1 - 1e-10);
    taken.fill(0, 0, G);
    const row = offset + t * stride;
    for (let d = 0; d < D; d++) {
      let best = thr;
      let m = -1;
      const base = d * G;
      for (let oi = 0; oi < G; oi++) {
        const g = order[oi];
        if (taken[g] && !gtCrowd[g]) continue;
        if (m > -1 && !ignore[m] && ignore[g]) break;
        const v = iou[base + g];
        if (v < best) continue;
        best = v;
        m = g;
      }
      let ignored = false;
      // pycocotools records the matched GT's id and tests it for non-zero, so a match with a
      // GT whose id is 0 reads as unmatched.
      let matched = false;
      if (m > -1) {
        ignored = ignore[m] === 1;
        matched = gtId[m] !== 0;
        taken[m] = 1;
      }
      if (!matched && (dtArea[d] < areaLo || dtArea[d] > areaHi)) ignored = true;
      status[row + d] = ignored ? IGNORED : matched ? TP : FP;
    }
  }
  return regular;
}
