/**
 * Precision/recall accumulation for one category, as pycocotools' accumulate: all images'
 * detections (each image cut to maxDet) are merged by a stable sort on -score (ties keep
 * image order, then in-image order), cumulative TP/FP give recall and precision, the
 * precision curve is made non-increasing from the right, and each recall level takes the
 * precision at the first point whose recall reaches it (left-sided search).
 */
import { IGNORED, TP } from './match.js';

const EPS = 2.220446049250313e-16; // np.spacing(1)

/** Everything one category contributes, in concatenation order (image order, score order within an image). */
export interface CategoryMatches {
  nDet: number;
  scores: Float64Array;
  /** Position of the detection in its image's score-sorted list (for the maxDets prefixes). */
  rank: Int32Array;
  /** Outcome per [area][threshold][detection]: FP, TP or IGNORED. */
  status: Uint8Array;
  /** Non-ignored GT count per area range. */
  npig: Int32Array;
}

export interface AccumulateShape {
  T: number;
  R: number;
  K: number;
  A: number;
  M: number;
}

/** Stable order of detections by decreasing score. */
export function scoreOrder(scores: Float64Array): Int32Array {
  const idx = new Int32Array(scores.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  // Typed-array sort is not guaranteed stable, so ties break on position explicitly.
  idx.sort((a, b) => scores[b] - scores[a] || a - b);
  return idx;
}

/** Fills precision/scores [T,R,K,A,M] and recall [T,K,A,M] for category k. */
export function accumulateCategory(
  cat: CategoryMatches,
  k: number,
  shape: AccumulateShape,
  recThrs: readonly number[],
  maxDets: readonly number[],
  out: { precision: Float64Array; recall: Float64Array; scores: Float64Array },
): void {
  const { T, R, K, A, M } = shape;
  const order = scoreOrder(cat.scores);
  const n = cat.nDet;
  const kept = new Int32Array(n);
  const pr = new Float64Array(n);
  const rc = new Float64Array(n);
  for (let m = 0; m < M; m++) {
    const maxDet = maxDets[m];
    let nd = 0;
    for (let j = 0; j < n; j++) if (cat.rank[order[j]] < maxDet) kept[nd++] = order[j];
    for (let a = 0; a < A; a++) {
      const npig = cat.npig[a];
      if (npig === 0) continue;
      for (let t = 0; t < T; t++) {
        const row = (a * T + t) * n;
        let ctp = 0;
        let cfp = 0;
        for (let i = 0; i < nd; i++) {
          const s = cat.status[row + kept[i]];
          if (s === TP) ctp++;
          else if (s !== IGNORED) cfp++;
          rc[i] = ctp / npig;
          pr[i] = ctp / (cfp + ctp + EPS);
        }
        out.recall[((t * K + k) * A + a) * M + m] = nd > 0 ? rc[nd - 1] : 0;
        for (let i = nd - 1; i > 0; i--) if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
        for (let r = 0; r < R; r++) {
          const at = (((t * R + r) * K + k) * A + a) * M + m;
          const pi = searchLeft(rc, nd, recThrs[r]);
          // pycocotools stops at the first level beyond the curve, leaving zeros after it.
          if (pi >= nd) {
            for (let r2 = r; r2 < R; r2++) {
              const at2 = (((t * R + r2) * K + k) * A + a) * M + m;
              out.precision[at2] = 0;
              out.scores[at2] = 0;
            }
            break;
          }
          out.precision[at] = pr[pi];
          out.scores[at] = cat.scores[kept[pi]];
        }
      }
    }
  }
}

/** First index i in sorted rc[0..n) with rc[i] >= v (numpy searchsorted side='left'). */
function searchLeft(rc: Float64Array, n: number, v: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rc[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
