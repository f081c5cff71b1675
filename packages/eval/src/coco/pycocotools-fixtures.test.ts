/**
 * Our COCOeval against numbers the official pycocotools produced for the committed cases in
 * fixtures/cases (made by fixtures/make_fixtures.py: crowds, score ties, border areas, empty
 * images and categories, > maxDets detections, polygon and RLE masks, non-default Params).
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

  it('the comparison catches a difference of 1e-11 and a changed summary line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tfvision-fixture-'));
    try {
      for (const ext of ['gt', 'dt']) copyFileSync(join(CASES_DIR, `bbox-basic.${ext}.json`), join(dir, `bbox-basic.${ext}.json`));
      const expected = JSON.parse(readFileSync(join(CASES_DIR, 'bbox-basic.expected.json'), 'utf8')) as { stats: number[]; summary: string[] };
      expected.stats[1] += 1e-11;
      expected.summary[11] = expected.summary[11].replace(/= .*$/, '= 9.999');
      writeFileSync(join(dir, 'bbox-basic.expected.json'), JSON.stringify(expected));
      const { mismatches } = compareCase(dir, 'bbox-basic');
      expect(mismatches.map((m) => m.what.split(':')[0])).toEqual(['stats[1]', 'summary line 11']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
