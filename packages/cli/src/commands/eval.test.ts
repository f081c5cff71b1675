import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Runs the built CLI (build first: npx nx run @tfvision/cli:build).
const root = join(__dirname, '..', '..', '..', '..');
const bin = join(root, 'packages', 'cli', 'dist', 'bin.js');
const dir = mkdtempSync(join(tmpdir(), 'tfvision-eval-cli-'));

function file(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

function tfvision(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });
}

const gt = file('gt.json', {
  images: [
    { id: 1, width: 100, height: 100, file_name: 'a.jpg' },
    { id: 2, width: 100, height: 100, file_name: 'b.jpg' },
  ],
  categories: [
    { id: 1, name: 'cat' },
    { id: 2, name: 'dog' },
  ],
  annotations: [
    { id: 1, image_id: 1, category_id: 1, bbox: [10, 10, 20, 20], area: 400, iscrowd: 0, segmentation: [[10, 10, 30, 10, 30, 30, 10, 30]] },
    { id: 2, image_id: 2, category_id: 2, bbox: [0, 0, 50, 50], area: 2500, iscrowd: 0, segmentation: [[0, 0, 50, 0, 50, 50, 0, 50]] },
  ],
});
// Category 1: exact (AP 1). Category 2: IoU exactly 0.5, a match at the first of 10 thresholds only (AP 0.1).
const dt = file('dt.json', [
  { image_id: 1, category_id: 1, bbox: [10, 10, 20, 20], score: 0.9 },
  { image_id: 2, category_id: 2, bbox: [0, 0, 50, 25], score: 0.8 },
]);

describe('tfvision eval coco (built CLI)', () => {
  it('--json prints one object with the 12 stats and per-category AP', () => {
    const r = tfvision('eval', 'coco', '--gt', gt, '--dt', dt, '--iou-type', 'bbox', '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const out = JSON.parse(r.stdout);
    const expected = [0.55, 1, 0.5, 1, 0.1, -1, 0.55, 0.55, 0.55, 1, 0.1, -1];
    expect(out.stats).toHaveLength(12);
    out.stats.forEach((v: number, i: number) => expect(v).toBeCloseTo(expected[i], 12));
    expect(Object.keys(out.perCategoryAP)).toEqual(['1', '2']);
    expect(out.perCategoryAP['1']).toBeCloseTo(1, 12);
    expect(out.perCategoryAP['2']).toBeCloseTo(0.1, 12);
  });

  it('--params overrides Params fields; useCats 0 gives the single key "-1"', () => {
    const params = file('p.json', { useCats: 0, iouThrs: [0.5] });
    const out = JSON.parse(tfvision('eval', 'coco', '--gt', gt, '--dt', dt, '--iou-type', 'bbox', '--params', params, '--json').stdout);
    expect(Object.keys(out.perCategoryAP)).toEqual(['-1']);
    expect(out.stats[0]).toBeCloseTo(1, 12);
  });

  it('segm on the same polygons, and the text summary', () => {
    const r = tfvision('eval', 'coco', '--gt', gt, '--dt', dt, '--iou-type', 'segm');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(' Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.550');
    expect(lines[11]).toBe(' Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = -1.000');
    expect(r.stdout).toMatch(/^ 2 {2}dog {7}0\.100$/m);
    expect(r.stdout).toContain('\nPer-category AP (IoU=0.50:0.95, area=all, maxDets=100)\n');
  });

  it('the per-category title follows overridden iouThrs and maxDets', () => {
    const params = file('p-title.json', { iouThrs: [0.5, 0.6, 0.7], maxDets: [1, 5, 20] });
    const r = tfvision('eval', 'coco', '--gt', gt, '--dt', dt, '--iou-type', 'bbox', '--params', params);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('\nPer-category AP (IoU=0.50:0.70, area=all, maxDets=20)\n');
    // Category 2 (IoU exactly 0.5) matches at 1 of 3 thresholds.
    expect(r.stdout).toMatch(/^ 2 {2}dog {7}0\.333$/m);
  });

  it('bad input is a one-line error naming the file and field', () => {
    const unknownImage = file('dt-unknown.json', [{ image_id: 7, category_id: 1, bbox: [0, 0, 1, 1], score: 1 }]);
    let r = tfvision('eval', 'coco', '--gt', gt, '--dt', unknownImage, '--iou-type', 'bbox', '--json');
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`${unknownImage}: [0].image_id`);

    const badParams = file('p-bad.json', { maxDet: [1] });
    r = tfvision('eval', 'coco', '--gt', gt, '--dt', dt, '--iou-type', 'bbox', '--params', badParams);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`tfvision eval: ${badParams}: unknown Params field "maxDet" (known: iouThrs, recThrs, maxDets, areaRng, areaRngLbl, useCats, imgIds, catIds)`);

    const empty = file('dt-empty.json', []);
    r = tfvision('eval', 'coco', '--gt', gt, '--dt', empty, '--iou-type', 'bbox');
    expect(r.stderr.trim()).toBe(`tfvision eval: ${empty}: the results list is empty (pycocotools cannot evaluate it either)`);

    r = tfvision('eval', 'coco', '--gt', gt, '--dt', dt, '--iou-type', 'keypoints');
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('tfvision eval: coco: --iou-type must be bbox or segm, got "keypoints"');
  });

  it('a directory for --gt, --dt or --params names the path and says it is a directory (exit 2)', () => {
    for (const flag of ['--gt', '--dt', '--params']) {
      const args = { '--gt': gt, '--dt': dt, '--params': file('p-ok.json', {}) } as Record<string, string>;
      args[flag] = dir;
      const r = tfvision('eval', 'coco', ...Object.entries(args).flat(), '--iou-type', 'bbox');
      expect(r.status).toBe(2);
      expect(r.stderr.trim()).toMatch(new RegExp(`^tfvision eval: coco: ${flag} ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is a directory, expected a `));
    }
  });

  it('--params type errors name the file, then the field; thresholds outside [0, 1] are refused (exit 2)', () => {
    const type = file('params-type.json', { maxDets: [1, 'ten'] });
    let r = tfvision('eval', 'coco', '--gt', gt, '--dt', dt, '--iou-type', 'bbox', '--params', type);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`tfvision eval: ${type}: maxDets[1]: expected a number, got "ten"`);
    const frac = file('params-frac.json', { maxDets: [1.5] });
    r = tfvision('eval', 'coco', '--gt', gt, '--dt', dt, '--iou-type', 'bbox', '--params', frac);
    expect(r.stderr.trim()).toBe(`tfvision eval: ${frac}: maxDets[0]: expected a non-negative integer, got 1.5`);
    const iou = file('params-iou.json', { iouThrs: [0.5, 1.5] });
    r = tfvision('eval', 'coco', '--gt', gt, '--dt', dt, '--iou-type', 'bbox', '--params', iou);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`tfvision eval: ${iou}: iouThrs[1] must be within [0, 1], got 1.5`);
    const rec = file('params-rec.json', { recThrs: [-0.1, 0.5] });
    r = tfvision('eval', 'coco', '--gt', gt, '--dt', dt, '--iou-type', 'bbox', '--params', rec);
    expect(r.stderr.trim()).toBe(`tfvision eval: ${rec}: recThrs[0] must be within [0, 1], got -0.1`);
  });
});
