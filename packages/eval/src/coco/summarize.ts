/**
 * summarize(): the 12 standard numbers, in pycocotools' order, and its text table.
 * stats[0] always asks for maxDets=100 (so custom maxDets without 100 give -1 there); the
 * others use maxDets[0..2]. A stat is the mean of the valid (> -1) entries it selects, or -1.
 */
import { pyFixed } from './format.js';
import type { CocoEvalParams } from './params.js';
import type { CocoEvalResult } from './types.js';

interface StatSpec {
  ap: boolean;
  iouThr?: number;
  areaLbl: string;
  maxDets: number;
}

export function statSpecs(p: CocoEvalParams): StatSpec[] {
  const md = p.maxDets;
  return [
    { ap: true, areaLbl: 'all', maxDets: 100 },
    { ap: true, iouThr: 0.5, areaLbl: 'all', maxDets: md[2] },
    { ap: true, iouThr: 0.75, areaLbl: 'all', maxDets: md[2] },
    { ap: true, areaLbl: 'small', maxDets: md[2] },
    { ap: true, areaLbl: 'medium', maxDets: md[2] },
    { ap: true, areaLbl: 'large', maxDets: md[2] },
    { ap: false, areaLbl: 'all', maxDets: md[0] },
    { ap: false, areaLbl: 'all', maxDets: md[1] },
    { ap: false, areaLbl: 'all', maxDets: md[2] },
    { ap: false, areaLbl: 'small', maxDets: md[2] },
    { ap: false, areaLbl: 'medium', maxDets: md[2] },
    { ap: false, areaLbl: 'large', maxDets: md[2] },
  ];
}

function indicesOf<T>(list: readonly T[], value: T): number[] {
  const out: number[] = [];
  list.forEach((v, i) => {
    if (v === value) out.push(i);
  });
  return out;
}

/**
 * numpy's pairing of two index lists in `s[..., aind, mind]`: equal lengths pair up
 * element-wise, a length-1 list broadcasts.
 */
function pairIndices(aind: number[], mind: number[]): [number, number][] {
  if (aind.length === mind.length) return aind.map((a, i) => [a, mind[i]]);
  if (aind.length === 1) return mind.map((m) => [aind[0], m]);
  if (mind.length === 1) return aind.map((a) => [a, mind[0]]);
  throw new Error(`summarize: area label and maxDets index lists of lengths ${aind.length} and ${mind.length} cannot broadcast`);
}

export function summarizeOne(res: CocoEvalResult, spec: StatSpec): number {
  const p = res.params;
  const [, R, K, A, M] = res.counts;
  const tind = spec.iouThr === undefined ? p.iouThrs.map((_, i) => i) : indicesOf(p.iouThrs, spec.iouThr);
  const pairs = pairIndices(indicesOf(p.areaRngLbl, spec.areaLbl), indicesOf(p.maxDets, spec.maxDets));
  const valid: number[] = [];
  // Same element order as numpy's s[s > -1] on s[t][:, :, :, aind, mind], for the same sum.
  for (const t of tind) {
    if (spec.ap) {
      for (let r = 0; r < R; r++) {
        for (let k = 0; k < K; k++) {
          for (const [a, m] of pairs) {
            const v = res.precision[(((t * R + r) * K + k) * A + a) * M + m];
            if (v > -1) valid.push(v);
          }
        }
      }
    } else {
      for (let k = 0; k < K; k++) {
        for (const [a, m] of pairs) {
          const v = res.recall[((t * K + k) * A + a) * M + m];
          if (v > -1) valid.push(v);
        }
      }
    }
  }
  return valid.length === 0 ? -1 : pairwiseMean(valid);
}

/** numpy's mean uses pairwise summation; matching it keeps us within an ulp or so. */
export function pairwiseMean(values: number[]): number {
  return pairwiseSum(values, 0, values.length) / values.length;
}

function pairwiseSum(v: number[], lo: number, n: number): number {
  if (n < 8) {
    let s = 0;
    for (let i = lo; i < lo + n; i++) s += v[i];
    return s;
  }
  if (n <= 128) {
    // numpy unrolls by 8 into separate accumulators, then combines them pairwise.
    const r = [v[lo], v[lo + 1], v[lo + 2], v[lo + 3], v[lo + 4], v[lo + 5], v[lo + 6], v[lo + 7]];
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += v[lo + i + j];
    let s = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
    for (; i < n; i++) s += v[lo + i];
    return s;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return pairwiseSum(v, lo, half) + pairwiseSum(v, lo + half, n - half);
}

export function computeStats(res: CocoEvalResult): number[] {
  return statSpecs(res.params).map((s) => summarizeOne(res, s));
}

/** The 12 lines pycocotools prints, character for character. */
export function summaryLines(res: CocoEvalResult, stats: readonly number[]): string[] {
  const p = res.params;
  const iouRange = `${pyFixed(p.iouThrs[0], 2)}:${pyFixed(p.iouThrs[p.iouThrs.length - 1], 2)}`;
  return statSpecs(p).map((spec, i) => {
    const title = (spec.ap ? 'Average Precision' : 'Average Recall').padEnd(18);
    const type = spec.ap ? '(AP)' : '(AR)';
    const iou = (spec.iouThr === undefined ? iouRange : pyFixed(spec.iouThr, 2)).padEnd(9);
    const area = spec.areaLbl.padStart(6);
    const md = String(spec.maxDets).padStart(3);
    return ` ${title} ${type} @[ IoU=${iou} | area=${area} | maxDets=${md} ] = ${pyFixed(stats[i], 3)}`;
  });
}
