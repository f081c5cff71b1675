import type { CocoAnnotation } from '../types.js';
import { LabelMap, annotationsToTargets } from './targets.js';

const categories = [
  { id: 5, name: 'five' },
  { id: 2, name: 'two' },
  { id: 9, name: 'nine' },
];

function ann(id: number, bbox: [number, number, number, number], category_id = 5, iscrowd: 0 | 1 = 0): CocoAnnotation {
  return { id, image_id: 1, category_id, bbox, area: bbox[2] * bbox[3], iscrowd };
}

describe('LabelMap', () => {
  it('maps sorted category ids to 1..K by default and 0..K-1 on request', () => {
    const one = new LabelMap(categories);
    expect([2, 5, 9].map((id) => one.label(id))).toEqual([1, 2, 3]);
    expect(one.categoryId(3)).toBe(9);
    const zero = new LabelMap(categories, 0);
    expect([2, 5, 9].map((id) => zero.label(id))).toEqual([0, 1, 2]);
    expect(() => one.label(4)).toThrow('LabelMap: no category with id 4');
    expect(() => one.categoryId(0)).toThrow('LabelMap: label 0 is outside 1..3');
  });
});

describe('annotationsToTargets', () => {
  const labels = new LabelMap(categories);
  const anns = [
    ann(1, [2, 3, 4, 5], 2),
    ann(2, [8, 8, 5, 5], 9),
    ann(3, [3, 3, 0, 4]),
    ann(4, [12, 0, 2, 2]),
    ann(5, [1, 1, 2, 2], 5, 1),
  ];

  it('converts to clipped xyxy, drops and counts degenerate boxes, keeps crowds apart', () => {
    const t = annotationsToTargets(anns, 10, 10, labels);
    expect(Array.from(t.boxes)).toEqual([2, 3, 6, 8, 8, 8, 10, 10]);
    expect(Array.from(t.labels)).toEqual([1, 3]);
    expect(Array.from(t.areas)).toEqual([20, 25]);
    expect(t.annotationIds).toEqual([1, 2]);
    expect(t.degenerateDropped).toBe(2);
    expect(Array.from(t.crowdBoxes)).toEqual([1, 1, 3, 3]);
    expect(t.crowdDropped).toBe(0);
    expect(t.masks).toBeUndefined();
  });

  it('drops crowds on request', () => {
    const t = annotationsToTargets(anns, 10, 10, labels, { crowd: 'drop' });
    expect(t.crowdBoxes).toHaveLength(0);
    expect(t.crowdDropped).toBe(1);
  });

  it('rasterises polygon, RLE and missing segmentations into row-major masks', () => {
    const poly: CocoAnnotation = { ...ann(1, [1, 1, 3, 2]), segmentation: [[1, 1, 4, 1, 4, 3, 1, 3]] };
    // Column-major runs for a 3x2 image: column 0 = [0,1,1], column 1 = [1,0,0].
    const rle: CocoAnnotation = { ...ann(2, [0, 0, 2, 3]), segmentation: { size: [3, 2], counts: [1, 3, 2] } };
    const none: CocoAnnotation = ann(3, [0, 0, 1, 1]);
    const tp = annotationsToTargets([poly, none], 5, 6, labels, { masks: true });
    const m = tp.masks?.[0] as Uint8Array;
    const on: string[] = [];
    m.forEach((v, p) => v && on.push(`${Math.floor(p / 6)},${p % 6}`));
    expect(on).toEqual(['1,1', '1,2', '1,3', '2,1', '2,2', '2,3']);
    expect(Array.from(tp.masks?.[1] as Uint8Array).every((v) => v === 0)).toBe(true);
    const tr = annotationsToTargets([rle], 3, 2, labels, { masks: true });
    expect(Array.from(tr.masks?.[0] as Uint8Array)).toEqual([0, 1, 1, 0, 1, 0]);
    expect(() => annotationsToTargets([rle], 4, 2, labels, { masks: true })).toThrow(
      'annotation 2: segmentation size [3, 2] does not match its image [4, 2]',
    );
  });
});
