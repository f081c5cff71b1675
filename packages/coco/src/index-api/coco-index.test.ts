import type { CocoAnnotation, CocoDataset } from '../types.js';
import { CocoIndex } from './coco-index.js';

function ann(id: number, image_id: number, category_id: number, area: number, iscrowd: 0 | 1 = 0): CocoAnnotation {
  return { id, image_id, category_id, area, iscrowd, bbox: [0, 0, 1, 1] };
}

// Images 1..4; image 4 has no annotations. Categories: 1 person (human), 2 dog, 3 cat (animal).
const dataset: CocoDataset = {
  images: [4, 2, 1, 3].map((id) => ({ id, width: 10, height: 10, file_name: `${id}.jpg` })),
  categories: [
    { id: 1, name: 'person', supercategory: 'human' },
    { id: 2, name: 'dog', supercategory: 'animal' },
    { id: 3, name: 'cat', supercategory: 'animal' },
  ],
  annotations: [
    ann(100, 1, 1, 50),
    ann(101, 1, 2, 32 * 32),
    ann(102, 2, 1, 96 * 96, 1),
    ann(103, 2, 3, 2000),
    ann(104, 3, 2, 10),
    ann(105, 1, 3, 5000),
    ann(106, 3, 1, 96 * 96),
  ],
};
const index = new CocoIndex(dataset);

describe('CocoIndex.getAnnIds', () => {
  it('returns every annotation in file order without filters', () => {
    expect(index.getAnnIds()).toEqual([100, 101, 102, 103, 104, 105, 106]);
  });

  it('lists by image in the order of imgIds, repeating a repeated image', () => {
    expect(index.getAnnIds({ imgIds: [3, 1] })).toEqual([104, 106, 100, 101, 105]);
    expect(index.getAnnIds({ imgIds: [2, 2] })).toEqual([102, 103, 102, 103]);
    expect(index.getAnnIds({ imgIds: [4, 99] })).toEqual([]);
    expect(index.getAnnIds({ imgIds: 2 })).toEqual([102, 103]);
  });

  it('filters by category and by crowd', () => {
    expect(index.getAnnIds({ catIds: [1, 3] })).toEqual([100, 102, 103, 105, 106]);
    expect(index.getAnnIds({ catIds: 1, iscrowd: false })).toEqual([100, 106]);
    expect(index.getAnnIds({ iscrowd: true })).toEqual([102]);
    expect(index.getAnnIds({ iscrowd: 0 })).toEqual([100, 101, 103, 104, 105, 106]);
    expect(index.getAnnIds({ iscrowd: null })).toHaveLength(7);
  });

  it('compares areaRng strictly, as pycocotools does', () => {
    // COCO "medium" is [32^2, 96^2]: the annotations of area exactly 1024 and 9216 are out.
    expect(index.getAnnIds({ areaRng: [32 * 32, 96 * 96] })).toEqual([103, 105]);
    expect(index.getAnnIds({ imgIds: [1], areaRng: [0, 1e10] })).toEqual([100, 101, 105]);
    expect(index.getAnnIds({ areaRng: [] })).toHaveLength(7);
  });
});

describe('CocoIndex.getImgIds', () => {
  it('returns images in file order without filters', () => {
    expect(index.getImgIds()).toEqual([4, 2, 1, 3]);
  });

  it('keeps images that contain all given categories', () => {
    expect(index.getImgIds({ catIds: [1] })).toEqual([1, 2, 3]);
    expect(index.getImgIds({ catIds: [1, 2] })).toEqual([1, 3]);
    expect(index.getImgIds({ catIds: [1, 2, 3] })).toEqual([1]);
    expect(index.getImgIds({ catIds: [7] })).toEqual([]);
  });

  it('intersects with imgIds and passes unknown imgIds through when no category is given', () => {
    expect(index.getImgIds({ imgIds: [3, 2], catIds: [2] })).toEqual([3]);
    expect(index.getImgIds({ imgIds: [99, 1] })).toEqual([1, 99]);
  });
});

describe('CocoIndex.getCatIds', () => {
  it('filters by name, supercategory and id, all combined', () => {
    expect(index.getCatIds()).toEqual([1, 2, 3]);
    expect(index.getCatIds({ catNms: ['cat', 'person'] })).toEqual([1, 3]);
    expect(index.getCatIds({ supNms: 'animal' })).toEqual([2, 3]);
    expect(index.getCatIds({ supNms: ['animal'], catIds: [1, 3] })).toEqual([3]);
    expect(index.getCatIds({ catNms: 'dog', supNms: 'human' })).toEqual([]);
  });
});

describe('CocoIndex lookups', () => {
  it('loads by id and builds imgToAnns / catToImgs', () => {
    expect(index.loadAnns([105, 100]).map((a) => a.id)).toEqual([105, 100]);
    expect(index.loadImgs(3)[0].file_name).toBe('3.jpg');
    expect(index.loadCats([2])[0].name).toBe('dog');
    expect(index.imgToAnns.get(1)?.map((a) => a.id)).toEqual([100, 101, 105]);
    expect(index.imgToAnns.has(4)).toBe(false);
    expect(index.catToImgs.get(1)).toEqual([1, 2, 3]);
    expect(index.catToImgs.get(2)).toEqual([1, 3]);
  });

  it('rasterises an annotation at its image size (annToRle / annToMask)', () => {
    const small = new CocoIndex({
      images: [{ id: 1, width: 3, height: 2, file_name: 'a' }],
      categories: [{ id: 1, name: 'x' }],
      annotations: [
        { ...ann(1, 1, 1, 2), segmentation: { size: [2, 3], counts: [1, 2, 3] } },
        ann(2, 1, 1, 1),
      ],
    });
    // Column-major runs: skip (0,0), set (1,0) and (0,1): row-major [0,1,0 / 1,0,0].
    expect(Array.from(small.annToMask(small.loadAnns(1)[0]))).toEqual([0, 1, 0, 1, 0, 0]);
    expect(small.annToRle(small.loadAnns(1)[0]).counts).toEqual(Uint32Array.from([1, 2, 3]));
    expect(() => small.annToMask(small.loadAnns(2)[0])).toThrow('CocoIndex.annToRle: annotation 2 has no segmentation');
  });

  it('names an unknown id', () => {
    expect(() => index.loadAnns([100, 5])).toThrow('CocoIndex.loadAnns: no annotation with id 5');
    expect(() => index.loadImgs(9)).toThrow('CocoIndex.loadImgs: no image with id 9');
    expect(() => index.loadCats(0)).toThrow('CocoIndex.loadCats: no category with id 0');
  });
});
