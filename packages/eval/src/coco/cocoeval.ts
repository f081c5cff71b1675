/**
 * COCOeval for bbox and segm with pycocotools' semantics (see COCOEVAL-SEMANTICS.md):
 * evaluate() matches per image and category, accumulate() builds the precision/recall
 * arrays, summarize() gives the 12 standard numbers.
 *
 * Unlike pycocotools, which builds one dictionary per (image, category, area), detections
 * and ground truths are bucketed once into per-(category, image) index lists and the
 * matching outcomes are written into one typed array per category.
 */
import { packedBoxIou, rleIou, segmentationToRle, type CocoAnnotation, type CocoDataset, type RleMask } from '@tfvision/coco';
import { accumulateCategory, type CategoryMatches } from './accumulate.js';
import { toColumns, type AnnotationColumns } from './dataset-arrays.js';
import { makeScratch, matchCell, type ImageCell } from './match.js';
import { defaultParams, type CocoEvalParams, type IouType } from './params.js';
import { computeStats, pairwiseMean, summaryLines } from './summarize.js';
import type { CocoEvalResult } from './types.js';

function sortedUnique(ids: readonly number[]): number[] {
  return [...new Set(ids)].sort((a, b) => a - b);
}

/** Annotation indices grouped by (category slot, image slot), in file order within a group. */
interface Buckets {
  start: Int32Array;
  items: Int32Array;
}

function bucketize(cols: AnnotationColumns, imgIndex: Map<number, number>, catIndex: Map<number, number>, I: number, U: number): Buckets {
  const key = new Int32Array(cols.n).fill(-1);
  const start = new Int32Array(U * I + 1);
  for (let j = 0; j < cols.n; j++) {
    const i = imgIndex.get(cols.imageId[j]);
    const u = catIndex.get(cols.categoryId[j]);
    if (i === undefined || u === undefined) continue;
    key[j] = u * I + i;
    start[key[j] + 1]++;
  }
  for (let c = 0; c < U * I; c++) start[c + 1] += start[c];
  const fill = start.slice(0, U * I);
  const items = new Int32Array(start[U * I]);
  for (let j = 0; j < cols.n; j++) if (key[j] >= 0) items[fill[key[j]]++] = j;
  return { start, items };
}

function gather(b: Buckets, slots: readonly number[], I: number, i: number, out: number[]): void {
  out.length = 0;
  for (const u of slots) {
    const c = u * I + i;
    for (let p = b.start[c]; p < b.start[c + 1]; p++) out.push(b.items[p]);
  }
}

export class CocoEval {
  /** Settable before evaluate(); imgIds and catIds default to every GT image and category. */
  params: CocoEvalParams;
  private matches: CategoryMatches[] | undefined;
  private evalParams: CocoEvalParams | undefined;
  private result: CocoEvalResult | undefined;
  stats: number[] = [];

  constructor(
    private readonly gt: CocoDataset,
    private readonly dt: CocoDataset,
    iouType: IouType,
  ) {
    this.params = defaultParams(iouType);
    this.params.imgIds = sortedUnique(gt.images.map((im) => im.id));
    this.params.catIds = sortedUnique(gt.categories.map((c) => c.id));
  }

  /** Runs per-image matching for every category, area range and threshold. */
  evaluate(): void {
    const p: CocoEvalParams = {
      ...this.params,
      imgIds: sortedUnique(this.params.imgIds),
      catIds: this.params.useCats ? sortedUnique(this.params.catIds) : [...this.params.catIds],
      maxDets: [...this.params.maxDets].sort((a, b) => a - b),
      iouThrs: [...this.params.iouThrs],
      recThrs: [...this.params.recThrs],
      areaRng: this.params.areaRng.map((r) => [r[0], r[1]] as [number, number]),
      areaRngLbl: [...this.params.areaRngLbl],
    };
    const segm = p.iouType === 'segm';
    const I = p.imgIds.length;
    const imgIndex = new Map(p.imgIds.map((id, i) => [id, i]));
    const uniqueCats = sortedUnique(p.catIds);
    const catIndex = new Map(uniqueCats.map((id, u) => [id, u]));
    const U = uniqueCats.length;
    // With useCats off every listed category (in the given order) pools into one group.
    const groups: number[][] = p.useCats ? uniqueCats.map((_, u) => [u]) : [p.catIds.map((c) => catIndex.get(c) as number)];

    const gtCols = toColumns(this.gt.annotations, 'gt.annotations', { needBox: !segm, isResults: false });
    const dtCols = toColumns(this.dt.annotations, 'results', { needBox: !segm, isResults: true });
    const gtB = bucketize(gtCols, imgIndex, catIndex, I, U);
    const dtB = bucketize(dtCols, imgIndex, catIndex, I, U);
    const imageSize = new Map(this.gt.images.map((im) => [im.id, [im.height, im.width] as const]));

    const T = p.iouThrs.length;
    const A = p.areaRng.length;
    const maxDet = p.maxDets.length > 0 ? p.maxDets[p.maxDets.length - 1] : 0;
    const scratch = makeScratch();
    const gtList: number[] = [];
    const dtList: number[] = [];
    // Per-cell buffers, grown on demand and reused so the hot loop allocates nothing.
    const cell: ImageCell = {
      G: 0,
      D: 0,
      iou: new Float64Array(256),
      gtArea: new Float64Array(16),
      gtCrowd: new Uint8Array(16),
      gtId: new Float64Array(16),
      dtArea: new Float64Array(128),
    };
    let gBox = new Float64Array(0);
    let dBox = new Float64Array(0);
    const byScore = (a: number, b: number) => dtCols.score[b] - dtCols.score[a] || 0;
    const matches: CategoryMatches[] = [];

    for (const slots of groups) {
      let nDet = 0;
      for (let i = 0; i < I; i++) {
        let c = 0;
        for (const u of slots) c += dtB.start[u * I + i + 1] - dtB.start[u * I + i];
        nDet += Math.min(c, maxDet);
      }
      const cat: CategoryMatches = {
        nDet,
        scores: new Float64Array(nDet),
        rank: new Int32Array(nDet),
        status: new Uint8Array(A * T * nDet),
        npig: new Int32Array(A),
      };
      let j0 = 0;
      for (let i = 0; i < I; i++) {
        gather(gtB, slots, I, i, gtList);
        gather(dtB, slots, I, i, dtList);
        if (gtList.length === 0 && dtList.length === 0) continue;
        // Stable sort on -score (Array.prototype.sort is stable), then the maxDets cut.
        if (dtList.length > 1) dtList.sort(byScore);
        if (dtList.length > maxDet) dtList.length = maxDet;
        const G = gtList.length;
        const D = dtList.length;
        if (cell.iou.length < G * D) cell.iou = new Float64Array(G * D * 2);
        if (cell.gtArea.length < G) {
          cell.gtArea = new Float64Array(G * 2);
          cell.gtCrowd = new Uint8Array(G * 2);
          cell.gtId = new Float64Array(G * 2);
        }
        if (cell.dtArea.length < D) cell.dtArea = new Float64Array(D * 2);
        if (gBox.length < G * 4) gBox = new Float64Array(G * 8);
        if (dBox.length < D * 4) dBox = new Float64Array(D * 8);
        cell.G = G;
        cell.D = D;
        for (let g = 0; g < G; g++) {
          const a = gtList[g];
          cell.gtArea[g] = gtCols.area[a];
          cell.gtCrowd[g] = gtCols.crowd[a];
          cell.gtId[g] = gtCols.id[a];
          for (let c = 0; c < 4; c++) gBox[g * 4 + c] = gtCols.box[a * 4 + c];
        }
        for (let d = 0; d < D; d++) {
          const a = dtList[d];
          cell.dtArea[d] = dtCols.area[a];
          for (let c = 0; c < 4; c++) dBox[d * 4 + c] = dtCols.box[a * 4 + c];
          cat.scores[j0 + d] = dtCols.score[a];
          cat.rank[j0 + d] = d;
        }
        if (G > 0 && D > 0) {
          if (segm) {
            const [h, w] = imageSize.get(p.imgIds[i]) ?? [0, 0];
            const g = gtList.map((a) => annotationRle(this.gt.annotations[a], h, w, `gt.annotations[${a}].segmentation`));
            const d = dtList.map((a) => annotationRle(this.dt.annotations[a], h, w, `results[${a}].segmentation`));
            cell.iou.set(rleIou(d, g, cell.gtCrowd.subarray(0, G)));
          } else {
            for (let d = 0; d < D; d++) {
              for (let g = 0; g < G; g++) cell.iou[d * G + g] = packedBoxIou(dBox, d, gBox, g, cell.gtCrowd[g] === 1);
            }
          }
        }
        for (let a = 0; a < A; a++) {
          cat.npig[a] += matchCell(cell, p.areaRng[a][0], p.areaRng[a][1], p.iouThrs, scratch, cat.status, a * T * nDet + j0, nDet);
        }
        j0 += D;
      }
      matches.push(cat);
    }
    this.matches = matches;
    this.evalParams = p;
    this.result = undefined;
  }

  /** Builds precision [T,R,K,A,M], recall [T,K,A,M] and scores from evaluate()'s matches. */
  accumulate(): CocoEvalResult {
    if (!this.matches || !this.evalParams) throw new Error('CocoEval.accumulate: run evaluate() first');
    const p = this.evalParams;
    const T = p.iouThrs.length;
    const R = p.recThrs.length;
    const K = this.matches.length;
    const A = p.areaRng.length;
    const M = p.maxDets.length;
    const out = {
      precision: new Float64Array(T * R * K * A * M).fill(-1),
      recall: new Float64Array(T * K * A * M).fill(-1),
      scores: new Float64Array(T * R * K * A * M).fill(-1),
    };
    this.matches.forEach((cat, k) => accumulateCategory(cat, k, { T, R, K, A, M }, p.recThrs, p.maxDets, out));
    this.result = { params: p, counts: [T, R, K, A, M], catIds: p.useCats ? [...p.catIds] : [-1], ...out };
    return this.result;
  }

  /** pycocotools' `eval` dictionary (after accumulate()). */
  get eval(): CocoEvalResult {
    if (!this.result) throw new Error('CocoEval.eval: run evaluate() and accumulate() first');
    return this.result;
  }

  /** The 12 standard numbers in pycocotools' summarize() order. */
  summarize(): number[] {
    this.stats = computeStats(this.eval);
    return this.stats;
  }

  /** pycocotools' 12-line summary text (call summarize() first, or it is computed here). */
  summaryText(): string {
    const stats = this.stats.length === 12 ? this.stats : this.summarize();
    return summaryLines(this.eval, stats).join('\n');
  }

  /**
   * AP per category: the mean of the valid entries of precision[:, :, k, all, last maxDets],
   * -1 where none is valid. Keyed by category id ("-1" when useCats is off).
   */
  perCategoryAP(): Record<string, number> {
    const res = this.eval;
    const [T, R, K, A, M] = res.counts;
    const allIdx = res.params.areaRngLbl.indexOf('all');
    const a = allIdx >= 0 && allIdx < A ? allIdx : 0;
    const out: Record<string, number> = {};
    for (let k = 0; k < K; k++) {
      const valid: number[] = [];
      for (let t = 0; t < T; t++) {
        for (let r = 0; r < R; r++) {
          const v = res.precision[(((t * R + r) * K + k) * A + a) * M + (M - 1)];
          if (v > -1) valid.push(v);
        }
      }
      out[String(res.catIds[k])] = valid.length > 0 && A > 0 && M > 0 ? pairwiseMean(valid) : -1;
    }
    return out;
  }
}

function annotationRle(ann: CocoAnnotation, h: number, w: number, where: string): RleMask {
  if (ann.segmentation === undefined) throw new Error(`${where}: missing (segm evaluation needs a segmentation)`);
  return segmentationToRle(ann.segmentation, h, w, where);
}
