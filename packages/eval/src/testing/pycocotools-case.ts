/**
 * Runs our evaluator on one case written by fixtures/make_fixtures.py and lists every number
 * that differs from pycocotools' by more than the tolerance. Shared by the committed-fixture
 * test and the slow test that generates fresh cases.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseCocoDataset, parseCocoResults } from '@tfvision/coco';
import { evaluateCoco } from '../coco/evaluate-coco.js';
import { parseParamsOverrides, type IouType } from '../coco/params.js';

export interface ExpectedCase {
  iouType: IouType;
  stats: number[];
  perCategoryAP: Record<string, number>;
  counts: number[];
  /** Full recall array [T, K, A, M], C order. */
  recall: number[];
  /** Sampled precision cells, `at` = [t, r, k, a, m]. */
  precisionCells: { at: number[]; value: number }[];
  /** The 12 lines summarize() printed. */
  summary: string[];
}

export interface Mismatch {
  what: string;
  ours: number;
  expected: number;
}

/** Case names in a folder: every `<name>.expected.json`. */
export function listCases(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.expected.json'))
    .map((f) => f.slice(0, -'.expected.json'.length))
    .sort();
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

export function compareCase(dir: string, name: string, tolerance = 1e-12): { mismatches: Mismatch[]; expected: ExpectedCase } {
  const base = join(dir, name);
  const expected = readJson(`${base}.expected.json`) as ExpectedCase;
  const gt = parseCocoDataset(readFileSync(`${base}.gt.json`), `${name}.gt.json`);
  const results = parseCocoResults(readFileSync(`${base}.dt.json`), `${name}.dt.json`, { groundTruth: gt });
  const paramsPath = `${base}.params.json`;
  const overrides = existsSync(paramsPath) ? parseParamsOverrides(readJson(paramsPath), `${name}.params.json`) : {};
  const out = evaluateCoco(gt, results, expected.iouType, overrides);

  const mismatches: Mismatch[] = [];
  const check = (what: string, ours: number | undefined, exp: number) => {
    if (ours === undefined || !(Math.abs(ours - exp) <= tolerance)) mismatches.push({ what, ours: ours ?? NaN, expected: exp });
  };
  const counts = out.eval.counts;
  if (counts.join() !== expected.counts.join()) mismatches.push({ what: `counts ${counts.join('x')} vs ${expected.counts.join('x')}`, ours: NaN, expected: NaN });
  expected.stats.forEach((v, i) => check(`stats[${i}]`, out.stats[i], v));
  const ourCats = Object.keys(out.perCategoryAP).sort().join();
  const expCats = Object.keys(expected.perCategoryAP).sort().join();
  if (ourCats !== expCats) mismatches.push({ what: `perCategoryAP keys ${ourCats} vs ${expCats}`, ours: NaN, expected: NaN });
  for (const [cat, v] of Object.entries(expected.perCategoryAP)) check(`perCategoryAP[${cat}]`, out.perCategoryAP[cat], v);
  if (out.eval.recall.length !== expected.recall.length) mismatches.push({ what: `recall length ${out.eval.recall.length} vs ${expected.recall.length}`, ours: NaN, expected: NaN });
  else expected.recall.forEach((v, i) => check(`recall[${i}]`, out.eval.recall[i], v));
  const [, R, K, A, M] = counts;
  for (const { at, value } of expected.precisionCells) {
    const [t, r, k, a, m] = at;
    check(`precision[${at.join(',')}]`, out.eval.precision[(((t * R + r) * K + k) * A + a) * M + m], value);
  }
  const ourLines = out.summary.split('\n');
  expected.summary.forEach((line, i) => {
    if (ourLines[i] !== line) mismatches.push({ what: `summary line ${i}: ${JSON.stringify(ourLines[i])} vs ${JSON.stringify(line)}`, ours: NaN, expected: NaN });
  });
  return { mismatches, expected };
}
