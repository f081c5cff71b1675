import { loadRes, rleFrPoly, rleToCompressed } from '@tfvision/coco';
import { CocoEval } from './cocoeval.js';
import { evaluateCoco } from './evaluate-coco.js';
import { dataset, det, gtBox } from '../testing/builders.js';

const EPS = 2.220446049250313e-16;

describe('COCOeval rules (hand-computed)', () => {
  it('a perfect detection: AP = 1/(1+eps), AR = 1; empty areas are -1', () => {
    const gt = dataset([1], [1], [gtBox(1, 1, 1, [10, 10, 20, 20])]);
    const { stats } = evaluateCoco(gt, [det(1, 1, [10, 10, 20, 20], 0.9)], 'bbox');
    expect(stats[0]).toBeCloseTo(1 / (1 + EPS), 14);
    expect(stats[3]).toBeCloseTo(1, 14); // area 400 is small
    expect(stats[4]).toBe(-1);
    expect(stats[5]).toBe(-1);
    expect(stats.slice(6, 10)).toEqual([1, 1, 1, 1]);
  });

  it('interpolation: precision is made non-increasing from the right and read at 101 levels', () => {
    // TP (0.9), FP (0.8), TP (0.7) on 2 GTs: recall .5 .5 1, precision 1 .5 .667 -> envelope 1 .667 .667
    const gt = dataset([1], [1], [gtBox(1, 1, 1, [0, 0, 10, 10]), gtBox(2, 1, 1, [50, 50, 10, 10])]);
    const res = evaluateCoco(gt, [det(1, 1, [0, 0, 10, 10], 0.9), det(1, 1, [80, 0, 10, 10], 0.8), det(1, 1, [50, 50, 10, 10], 0.7)], 'bbox');
    const [, R, K, A, M] = res.eval.counts;
    const at = (r: number) => res.eval.precision[((0 * R + r) * K * A + 0) * M + (M - 1)];
    expect(at(50)).toBe(1 / (1 + EPS)); // recall level 0.5 is reached by the first point
    expect(at(51)).toBe(2 / (3 + EPS));
    expect(res.stats[0]).toBeCloseTo((51 / (1 + EPS) + (50 * 2) / (3 + EPS)) / 101, 14);
  });

  it('recall levels are linspace floats: recall 7/20 = 0.35 misses level 0.35000000000000003', () => {
    const anns = Array.from({ length: 20 }, (_, i) => gtBox(i + 1, 1, 1, [i * 15, 0, 10, 10]));
    const dets = Array.from({ length: 7 }, (_, i) => det(1, 1, [i * 15, 0, 10, 10], 0.9));
    const res = evaluateCoco(dataset([1], [1], anns), dets, 'bbox');
    const [, R, K, A, M] = res.eval.counts;
    const at = (r: number) => res.eval.precision[((0 * R + r) * K * A + 0) * M + (M - 1)];
    expect(at(34)).toBeCloseTo(1, 14);
    expect(at(35)).toBe(0);
    expect(res.stats[0]).toBeCloseTo((35 / (1 + EPS)) / 101, 14);
  });

  it('a crowd absorbs any number of detections and they are ignored, not false positives', () => {
    const gt = dataset([1], [1], [gtBox(1, 1, 1, [0, 0, 10, 10]), gtBox(2, 1, 1, [50, 50, 40, 40], { iscrowd: 1 })]);
    const dets = [
      det(1, 1, [0, 0, 10, 10], 0.9), // TP
      det(1, 1, [55, 55, 10, 10], 0.8), // inside the crowd: IoU = inter / det area = 1 -> ignored
      det(1, 1, [60, 60, 10, 10], 0.7), // the crowd is not consumed -> ignored too
      det(1, 1, [0, 200, 5, 5], 0.6), // FP after the TP: precision at recall 1 stays 1
    ];
    const { stats } = evaluateCoco(gt, dets, 'bbox');
    expect(stats[0]).toBeCloseTo(1, 14);
    // As a regular GT the second box would count as a missed object and the crowd dets as FPs.
    const notCrowd = dataset([1], [1], [gtBox(1, 1, 1, [0, 0, 10, 10]), gtBox(2, 1, 1, [50, 50, 40, 40])]);
    expect(evaluateCoco(notCrowd, dets, 'bbox').stats[0]).toBeLessThan(0.6);
  });

  it('score ties keep results-file order within an image', () => {
    const gt = dataset([1], [1], [gtBox(1, 1, 1, [0, 0, 10, 10])]);
    const fp = det(1, 1, [50, 50, 10, 10], 0.5);
    const tp = det(1, 1, [0, 0, 10, 10], 0.5);
    expect(evaluateCoco(gt, [fp, tp], 'bbox').stats[0]).toBeCloseTo(1 / (2 + EPS), 14);
    expect(evaluateCoco(gt, [tp, fp], 'bbox').stats[0]).toBeCloseTo(1 / (1 + EPS), 14);
  });

  it('score ties across images follow ascending image id, whatever the file order', () => {
    // Image 1 holds a FP, image 2 a TP, both scored 0.5; two GTs in all.
    const gt = dataset([2, 1], [1], [gtBox(1, 1, 1, [0, 0, 10, 10]), gtBox(2, 2, 1, [0, 0, 10, 10])]);
    const dets = [det(2, 1, [0, 0, 10, 10], 0.5), det(1, 1, [200, 200, 10, 10], 0.5)];
    // FP then TP: recall 0, .5; precision 0, .5 -> levels 0..0.5 get .5
    expect(evaluateCoco(gt, dets, 'bbox').stats[0]).toBeCloseTo((51 * (1 / (2 + EPS))) / 101, 14);
  });

  it('area ranges use the GT area field; unmatched detections outside a range are ignored', () => {
    // A 10x10 box whose area field says 2000 (medium), and a large unmatched FP scored higher.
    const gt = dataset([1], [1], [gtBox(1, 1, 1, [0, 0, 10, 10], { area: 2000 })]);
    const dets = [det(1, 1, [0, 0, 10, 10], 0.9), det(1, 1, [200, 200, 100, 100], 0.95)];
    const { stats } = evaluateCoco(gt, dets, 'bbox');
    expect(stats[3]).toBe(-1); // no small GT
    expect(stats[4]).toBeCloseTo(1, 14); // medium: the large FP (area 10000) is ignored
    expect(stats[5]).toBe(-1);
    expect(stats[0]).toBeCloseTo(1 / (2 + EPS), 14); // all: FP first, then TP
    expect(stats[10]).toBe(1);
  });

  it('area 1024 is both small and medium (closed ranges)', () => {
    const gt = dataset([1], [1], [gtBox(1, 1, 1, [0, 0, 32, 32])]);
    const { stats } = evaluateCoco(gt, [det(1, 1, [0, 0, 32, 32], 1)], 'bbox');
    expect(stats[3]).toBeCloseTo(1, 14);
    expect(stats[4]).toBeCloseTo(1, 14);
  });

  it('-1 for categories without non-ignored GT, 0 for categories with GT but no detections', () => {
    const gt = dataset([1], [1, 2, 3, 4], [gtBox(1, 1, 1, [0, 0, 10, 10]), gtBox(2, 1, 2, [50, 50, 40, 40], { iscrowd: 1 }), gtBox(3, 1, 4, [100, 100, 10, 10])]);
    const dets = [det(1, 1, [0, 0, 10, 10], 0.9), det(1, 2, [55, 55, 10, 10], 0.9), det(1, 3, [0, 0, 10, 10], 0.9)];
    const res = evaluateCoco(gt, dets, 'bbox');
    expect(res.perCategoryAP['1']).toBeCloseTo(1, 14);
    expect(res.perCategoryAP['2']).toBe(-1);
    expect(res.perCategoryAP['3']).toBe(-1);
    expect(res.perCategoryAP['4']).toBe(0);
    expect(res.stats[0]).toBeCloseTo(0.5 / (1 + EPS), 14);
  });

  it('maxDets cuts per image by score: the TP ranked second is lost at maxDets=1', () => {
    const gt = dataset([1], [1], [gtBox(1, 1, 1, [0, 0, 10, 10])]);
    const dets = [det(1, 1, [200, 200, 10, 10], 0.9), det(1, 1, [0, 0, 10, 10], 0.8)];
    const { stats } = evaluateCoco(gt, dets, 'bbox');
    expect(stats[6]).toBe(0);
    expect(stats[7]).toBe(1);
    // Without 100 among maxDets, stats[0] (always read at 100) is -1.
    const custom = evaluateCoco(gt, dets, 'bbox', { maxDets: [1, 2, 3] });
    expect(custom.stats[0]).toBe(-1);
    expect(custom.stats[1]).toBeCloseTo(1 / (2 + EPS), 14);
  });

  it('an IoU of exactly 0.5 matches at 0.5 only; a perfect match survives threshold 1 (capped at 1-1e-10)', () => {
    const gt = dataset([1], [1], [gtBox(1, 1, 1, [0, 0, 10, 10])]);
    const half = evaluateCoco(gt, [det(1, 1, [0, 0, 10, 5], 1)], 'bbox');
    expect(half.stats[1]).toBeCloseTo(1, 14);
    expect(half.stats[0]).toBeCloseTo(0.1, 14);
    expect(evaluateCoco(gt, [det(1, 1, [0, 0, 10, 10], 1)], 'bbox', { iouThrs: [1] }).eval.precision[0]).toBeCloseTo(1, 14);
  });

  it('among equal IoUs the later GT wins the match', () => {
    // det1 overlaps both GTs with IoU 1/3 and takes GT 2; det2 (exactly GT 2) then finds nothing.
    const gt = dataset([1], [1], [gtBox(1, 1, 1, [0, 0, 10, 10]), gtBox(2, 1, 1, [10, 0, 10, 10])]);
    const dets = [det(1, 1, [5, 0, 10, 10], 0.9), det(1, 1, [10, 0, 10, 10], 0.8)];
    const res = evaluateCoco(gt, dets, 'bbox', { iouThrs: [0.3] });
    expect(res.stats[0]).toBeCloseTo(51 / (1 + EPS) / 101, 14);
  });

  it('useCats=0 pools categories into one with key "-1"', () => {
    const gt = dataset([1], [1, 2], [gtBox(1, 1, 1, [0, 0, 10, 10])]);
    const res = evaluateCoco(gt, [det(1, 2, [0, 0, 10, 10], 0.9)], 'bbox', { useCats: false });
    expect(res.perCategoryAP).toEqual({ '-1': expect.closeTo(1, 14) });
    expect(evaluateCoco(gt, [det(1, 2, [0, 0, 10, 10], 0.9)], 'bbox').stats[0]).toBe(0);
  });

  it('detections of categories missing from the GT category list are dropped; empty GT images still count', () => {
    const gt = dataset([1, 2], [1], [gtBox(1, 1, 1, [0, 0, 10, 10])]);
    const dets = [det(1, 1, [0, 0, 10, 10], 0.5), det(1, 9, [0, 0, 10, 10], 0.9), det(2, 1, [0, 0, 10, 10], 0.8)];
    // The category-9 detection vanishes; the one on image 2 (no GT) is a FP ranked first.
    expect(evaluateCoco(gt, dets, 'bbox').stats[0]).toBeCloseTo(1 / (2 + EPS), 14);
  });

  it('segm: polygons vs compressed RLE, crowd RLE uses the detection area', () => {
    const gt = dataset([1], [1], [
      { id: 1, image_id: 1, category_id: 1, bbox: [1, 1, 3, 3], area: 9, iscrowd: 0, segmentation: [[1, 1, 4, 1, 4, 4, 1, 4]] },
      { id: 2, image_id: 1, category_id: 1, bbox: [20, 20, 30, 30], area: 900, iscrowd: 1, segmentation: { size: [400, 400], counts: Array.from(rleFrPoly([20, 20, 50, 20, 50, 50, 20, 50], 400, 400).counts) } },
    ]);
    const mask = (poly: number[]) => rleToCompressed(rleFrPoly(poly, 400, 400));
    const dets = [
      { image_id: 1, category_id: 1, score: 0.9, segmentation: mask([1, 1, 4, 1, 4, 4, 1, 4]) },
      { image_id: 1, category_id: 1, score: 0.95, segmentation: mask([25, 25, 30, 25, 30, 30, 25, 30]) },
    ];
    const { stats } = evaluateCoco(gt, dets, 'segm');
    expect(stats[0]).toBeCloseTo(1, 14);
  });
});

describe('CocoEval object API', () => {
  it('exposes Params, eval arrays of shape [T,R,K,A,M] and summary text', () => {
    const gt = dataset([1], [1, 2], [gtBox(1, 1, 1, [10, 10, 20, 20])]);
    const E = new CocoEval(gt, loadRes(gt, [det(1, 1, [10, 10, 20, 20], 0.9)]), 'bbox');
    expect(E.params.iouThrs[8]).toBe(0.8999999999999999);
    expect(E.params.recThrs[35]).toBe(0.35000000000000003);
    E.params.areaRng = [[0, 1e10], [0, 1024], [1024, 9216], [9216, 1e10]];
    E.evaluate();
    const res = E.accumulate();
    expect(res.counts).toEqual([10, 101, 2, 4, 3]);
    expect(res.precision.length).toBe(10 * 101 * 2 * 4 * 3);
    expect(res.catIds).toEqual([1, 2]);
    E.summarize();
    expect(E.summaryText().split('\n')[0]).toBe(' Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 1.000');
    expect(E.summaryText().split('\n')[4]).toBe(' Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = -1.000');
    expect(E.summaryText().split('\n')[6]).toBe(' Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 1.000');
  });

  it('accumulate before evaluate is an error', () => {
    const gt = dataset([1], [1], []);
    expect(() => new CocoEval(gt, gt, 'bbox').accumulate()).toThrow('run evaluate() first');
  });
});
