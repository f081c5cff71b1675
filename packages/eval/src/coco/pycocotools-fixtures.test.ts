/**
 * Our COCOeval against numbers the official pycocotools produced for the committed cases in
 * fixtures/cases (made by fixtures/make_fixtures.py: crowds, score ties, border areas, empty
 * images and categories, > maxDets detections, polygon and RLE masks, non-default Params).
 */
import { join } from 'node:path';
import { compareCase, listCases } from '../testing/pycocotools-case.js';

const CASES_DIR = join(__dirname, '..', '..', 'fixtures', 'cases');
const cases = listCases(CASES_DIR);

describe('pycocotools reference fixtures', () => {
  it('has the committed cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(12);
    expect(cases.some((c) => c.startsWith('segm-'))).toBe(true);
  });

  it.each(cases)('%s: stats, per-category AP, recall and precision cells within 1e-12', (name) => {
    const { mismatches, expected } = compareCase(CASES_DIR, name);
    expect(mismatches.slice(0, 10)).toEqual([]);
    expect(expected.stats).toHaveLength(12);
  });
});
