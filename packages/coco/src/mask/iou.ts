/**
 * IoU between sets of detections and ground truths, boxes or RLE masks, with pycocotools'
 * crowd rule: against a crowd ground truth the union is the detection's own area, so a
 * detection inside a crowd region scores 1 whatever the crowd's size.
 * Results are row-major [detection][groundTruth]: `iou[d * gt.length + g]`.
 */
import { rleArea, rleToBbox, type RleMask } from './rle.js';

/** Box IoU, [x, y, w, h] boxes. Same operation order as pycocotools' bbIou, so ties at a threshold break alike. */
export function bboxIou(dt: ArrayLike<ArrayLike<number>>, gt: ArrayLike<ArrayLike<number>>, iscrowd: ArrayLike<number | boolean>): Float64Array {
  const m = dt.length;
  const n = gt.length;
  const out = new Float64Array(m * n);
  for (let g = 0; g < n; g++) {
    const G = gt[g];
    const crowd = Boolean(iscrowd[g]);
    for (let d = 0; d < m; d++) out[d * n + g] = boxPairIou(dt[d], G, crowd);
  }
  return out;
}

/** IoU of one detection box with one ground-truth box; `crowd` divides by the detection area. */
export function boxPairIou(D: ArrayLike<number>, G: ArrayLike<number>, crowd: boolean): number {
  const w = Math.min(D[2] + D[0], G[2] + G[0]) - Math.max(D[0], G[0]);
  if (!(w > 0)) return 0;
  const h = Math.min(D[3] + D[1], G[3] + G[1]) - Math.max(D[1], G[1]);
  if (!(h > 0)) return 0;
  const i = w * h;
  const da = D[2] * D[3];
  const u = crowd ? da : da + G[2] * G[3] - i;
  return i / u;
}

/**
 * Box IoU on packed boxes: detection `d` of `dt` (x, y, w, h at d*4) against ground truth
 * `g` of `gt`, without allocating; the same arithmetic as {@link boxPairIou}.
 */
export function packedBoxIou(dt: Float64Array, d: number, gt: Float64Array, g: number, crowd: boolean): number {
  const dx = dt[d * 4];
  const dy = dt[d * 4 + 1];
  const dw = dt[d * 4 + 2];
  const dh = dt[d * 4 + 3];
  const gx = gt[g * 4];
  const gy = gt[g * 4 + 1];
  const gw = gt[g * 4 + 2];
  const gh = gt[g * 4 + 3];
  const w = Math.min(dw + dx, gw + gx) - Math.max(dx, gx);
  if (!(w > 0)) return 0;
  const h = Math.min(dh + dy, gh + gy) - Math.max(dy, gy);
  if (!(h > 0)) return 0;
  const i = w * h;
  const da = dw * dh;
  const u = crowd ? da : da + gw * gh - i;
  return i / u;
}

/**
 * Mask IoU. Pairs whose bounding boxes do not overlap are 0 without walking the runs;
 * masks of different sizes give -1, as pycocotools does.
 */
export function rleIou(dt: readonly RleMask[], gt: readonly RleMask[], iscrowd: ArrayLike<number | boolean>): Float64Array {
  const m = dt.length;
  const n = gt.length;
  const out = new Float64Array(m * n);
  const dtBoxes = dt.map(rleToBbox);
  const gtBoxes = gt.map(rleToBbox);
  for (let g = 0; g < n; g++) {
    const crowd = Boolean(iscrowd[g]);
    for (let d = 0; d < m; d++) {
      if (!(boxPairIou(dtBoxes[d], gtBoxes[g], crowd) > 0)) continue;
      out[d * n + g] = rlePairIou(dt[d], gt[g], crowd);
    }
  }
  return out;
}

/** IoU of two RLEs by walking both run lists once; -1 if their sizes differ. */
export function rlePairIou(a: RleMask, b: RleMask, crowd: boolean): number {
  if (a.h !== b.h || a.w !== b.w) return -1;
  const A = a.counts;
  const B = b.counts;
  let ca = A.length > 0 ? A[0] : 0;
  let cb = B.length > 0 ? B[0] : 0;
  let ia = 1;
  let ib = 1;
  let va = false;
  let vb = false;
  let inter = 0;
  let union = 0;
  let remaining = 1;
  while (remaining > 0) {
    const c = ca < cb ? ca : cb;
    if (va || vb) {
      union += c;
      if (va && vb) inter += c;
    }
    ca -= c;
    if (ca === 0 && ia < A.length) {
      ca = A[ia++];
      va = !va;
    }
    cb -= c;
    if (cb === 0 && ib < B.length) {
      cb = B[ib++];
      vb = !vb;
    }
    remaining = ca + cb;
  }
  if (inter === 0) return 0;
  if (crowd) union = rleArea(a);
  return inter / union;
}
