import type { CocoEvalParams } from './params.js';

/**
 * pycocotools' `eval` dictionary. Arrays are flat float64 in numpy C order:
 * precision and scores [T, R, K, A, M], recall [T, K, A, M]; -1 marks a cell without
 * non-ignored ground truth.
 */
export interface CocoEvalResult {
  /** The parameters as the evaluation used them (ids sorted/deduplicated, maxDets sorted). */
  params: CocoEvalParams;
  counts: [number, number, number, number, number];
  /** Category id of each K slot; [-1] when useCats is off. */
  catIds: number[];
  precision: Float64Array;
  recall: Float64Array;
  scores: Float64Array;
}
