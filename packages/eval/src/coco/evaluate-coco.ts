/** One call from a ground truth and a results list to the numbers, as a pycocotools script would do. */
import { loadRes, type CocoDataset, type CocoResult } from '@tfvision/coco';
import { CocoEval } from './cocoeval.js';
import { checkSummarizable, type IouType, type ParamsOverrides } from './params.js';
import type { CocoEvalResult } from './types.js';

export interface CocoEvalSummary {
  /** The 12 summarize() numbers. */
  stats: number[];
  /** Mean valid precision per category id (area all, last maxDets); -1 where undefined. */
  perCategoryAP: Record<string, number>;
  /** pycocotools' 12-line text summary. */
  summary: string;
  eval: CocoEvalResult;
}

/**
 * loadRes + evaluate + accumulate + summarize. `overrides` replace Params fields;
 * `names` label the results and params in error messages (e.g. their file paths).
 */
export function evaluateCoco(
  gt: CocoDataset,
  results: readonly CocoResult[],
  iouType: IouType,
  overrides: ParamsOverrides = {},
  names: { results?: string; params?: string } = {},
): CocoEvalSummary {
  const E = new CocoEval(gt, loadRes(gt, results, names.results), iouType);
  Object.assign(E.params, overrides);
  checkSummarizable(E.params, names.params);
  E.evaluate();
  const res = E.accumulate();
  const stats = E.summarize();
  return { stats, perCategoryAP: E.perCategoryAP(), summary: E.summaryText(), eval: res };
}
