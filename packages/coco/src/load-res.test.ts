import { loadRes } from './load-res.js';
import type { CocoDataset } from './types.js';

const gt: CocoDataset = {
  images: [
    { id: 1, width: 6, height: 6, file_name: 'a.jpg' },
    { id: 2, width: 8, height: 4, file_name: 'b.jpg' },
  ],
  categories: [{ id: 3, name: 'x' }],
  annotations: [],
};

describe('loadRes (pycocotools COCO.loadRes)', () => {
  it('box results: ids 1..N, area = w*h, iscrowd 0, box polygon as segmentation; given fields overwritten', () => {
    const res = loadRes(gt, [
      { image_id: 1, category_id: 3, score: 0.9, bbox: [1, 2, 3, 4], area: 999, id: 77 },
      { image_id: 2, category_id: 3, score: 0.5, bbox: [0.5, 0, 2.5, 2], extra: 'kept' },
    ]);
    expect(res.annotations.map((a) => [a.id, a.area, a.iscrowd])).toEqual([
      [1, 12, 0],
      [2, 5, 0],
    ]);
    expect(res.annotations[0].segmentation).toEqual([[1, 2, 1, 6, 4, 6, 4, 2]]);
    expect(res.annotations[1].extra).toBe('kept');
    expect(res.images).toBe(gt.images);
    expect(res.categories).toEqual(gt.categories);
  });

  it('segm results with a bbox take the box branch (area = box area)', () => {
    const res = loadRes(gt, [{ image_id: 1, category_id: 3, score: 1, bbox: [0, 0, 2, 2], segmentation: { size: [6, 6], counts: '733000;' } }]);
    expect(res.annotations[0].area).toBe(4);
  });

  it('segm results without bbox: area is the pixel count, bbox from the mask', () => {
    const res = loadRes(gt, [{ image_id: 1, category_id: 3, score: 1, segmentation: { size: [6, 6], counts: '733000;' } }]);
    expect(res.annotations[0].area).toBe(9);
    expect(res.annotations[0].bbox).toEqual([1, 1, 3, 3]);
  });

  it('the first result decides the branch for all', () => {
    expect(() => loadRes(gt, [{ image_id: 1, category_id: 3, score: 1, bbox: [0, 0, 1, 1] }, { image_id: 1, category_id: 3, score: 1, segmentation: [[0, 0, 1, 0, 1, 1]] }])).toThrow(
      'results[1].bbox: expected 4 numbers [x, y, w, h], got undefined',
    );
  });

  it('rejects results on images outside the GT, and an empty list', () => {
    expect(() => loadRes(gt, [{ image_id: 5, category_id: 3, score: 1, bbox: [0, 0, 1, 1] }])).toThrow('results[0].image_id: 5 is not an image of the ground truth');
    expect(() => loadRes(gt, [])).toThrow('results: the results list is empty');
  });
});
