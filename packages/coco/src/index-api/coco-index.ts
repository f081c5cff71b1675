import { decodeRle, segmentationToRle, type RleMask } from '../mask/index.js';
import type { CocoAnnotation, CocoCategory, CocoDataset, CocoImage } from '../types.js';

/** Filters of getAnnIds; an absent or empty list means "no filter", as in pycocotools. */
export interface AnnIdFilter {
  imgIds?: number | number[];
  catIds?: number | number[];
  /** [min, max]: keeps annotations with min < area < max (pycocotools' strict comparison). */
  areaRng?: [number, number] | [];
  /** Keeps only annotations whose iscrowd equals this (true = 1, false = 0). */
  iscrowd?: boolean | 0 | 1 | null;
}

export interface ImgIdFilter {
  imgIds?: number | number[];
  /** Keeps images that contain every one of these categories. */
  catIds?: number | number[];
}

export interface CatIdFilter {
  catNms?: string | string[];
  supNms?: string | string[];
  catIds?: number | number[];
}

function asList<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * The pycocotools COCO index over a dataset: lookups by id and the getXIds filters with the
 * same semantics, including their quirks (kept so code ported from Python gives the same
 * ids in the same order):
 * - getAnnIds with imgIds lists annotations image by image in the order of imgIds (a
 *   repeated image id repeats its annotations); areaRng compares strictly (min < area < max).
 * - getImgIds with catIds returns the images containing ALL the categories, intersected with
 *   imgIds when given; imgIds not in the dataset pass through when no catIds are given.
 *   Python returns these as a set in no defined order; here they are sorted ascending.
 *   With no filter at all the ids come in file order.
 * - load* of an unknown id is an error naming the id (Python raises KeyError).
 */
export class CocoIndex {
  readonly anns = new Map<number, CocoAnnotation>();
  readonly imgs = new Map<number, CocoImage>();
  readonly cats = new Map<number, CocoCategory>();
  /** image id -> its annotations in file order (only images that have annotations). */
  readonly imgToAnns = new Map<number, CocoAnnotation[]>();
  /** category id -> image id of each of its annotations, in file order, with repeats. */
  readonly catToImgs = new Map<number, number[]>();

  constructor(readonly dataset: CocoDataset) {
    for (const ann of dataset.annotations) {
      const list = this.imgToAnns.get(ann.image_id);
      if (list) list.push(ann);
      else this.imgToAnns.set(ann.image_id, [ann]);
      this.anns.set(ann.id, ann);
    }
    for (const img of dataset.images) this.imgs.set(img.id, img);
    for (const cat of dataset.categories) this.cats.set(cat.id, cat);
    for (const ann of dataset.annotations) {
      const list = this.catToImgs.get(ann.category_id);
      if (list) list.push(ann.image_id);
      else this.catToImgs.set(ann.category_id, [ann.image_id]);
    }
  }

  getAnnIds(filter: AnnIdFilter = {}): number[] {
    const imgIds = asList(filter.imgIds);
    const catIds = asList(filter.catIds);
    const areaRng = filter.areaRng ?? [];
    let anns: CocoAnnotation[];
    if (imgIds.length === 0 && catIds.length === 0 && areaRng.length === 0) {
      anns = this.dataset.annotations;
    } else {
      anns = imgIds.length === 0 ? this.dataset.annotations : imgIds.flatMap((id) => this.imgToAnns.get(id) ?? []);
      if (catIds.length > 0) {
        const wanted = new Set(catIds);
        anns = anns.filter((a) => wanted.has(a.category_id));
      }
      if (areaRng.length > 0) {
        const [lo, hi] = areaRng as [number, number];
        anns = anns.filter((a) => a.area > lo && a.area < hi);
      }
    }
    if (filter.iscrowd !== undefined && filter.iscrowd !== null) {
      const crowd = Number(filter.iscrowd);
      anns = anns.filter((a) => a.iscrowd === crowd);
    }
    return anns.map((a) => a.id);
  }

  getImgIds(filter: ImgIdFilter = {}): number[] {
    const imgIds = asList(filter.imgIds);
    const catIds = asList(filter.catIds);
    if (imgIds.length === 0 && catIds.length === 0) return [...this.imgs.keys()];
    let ids = new Set(imgIds);
    catIds.forEach((catId, i) => {
      const withCat = new Set(this.catToImgs.get(catId) ?? []);
      if (i === 0 && ids.size === 0) ids = withCat;
      else ids = new Set([...ids].filter((id) => withCat.has(id)));
    });
    return [...ids].sort((a, b) => a - b);
  }

  getCatIds(filter: CatIdFilter = {}): number[] {
    const catNms = asList(filter.catNms);
    const supNms = asList(filter.supNms);
    const catIds = asList(filter.catIds);
    let cats = this.dataset.categories;
    if (catNms.length > 0) cats = cats.filter((c) => catNms.includes(c.name));
    if (supNms.length > 0) cats = cats.filter((c) => c.supercategory !== undefined && supNms.includes(c.supercategory));
    if (catIds.length > 0) cats = cats.filter((c) => catIds.includes(c.id));
    return cats.map((c) => c.id);
  }

  loadAnns(ids: number | number[]): CocoAnnotation[] {
    return asList(ids).map((id) => lookup(this.anns, id, 'loadAnns', 'annotation'));
  }

  loadImgs(ids: number | number[]): CocoImage[] {
    return asList(ids).map((id) => lookup(this.imgs, id, 'loadImgs', 'image'));
  }

  loadCats(ids: number | number[]): CocoCategory[] {
    return asList(ids).map((id) => lookup(this.cats, id, 'loadCats', 'category'));
  }

  /** pycocotools annToRLE: the annotation's segmentation as one RLE at its image's size. */
  annToRle(ann: CocoAnnotation): RleMask {
    const img = lookup(this.imgs, ann.image_id, 'annToRle', 'image');
    if (ann.segmentation === undefined) throw new Error(`CocoIndex.annToRle: annotation ${ann.id} has no segmentation`);
    return segmentationToRle(ann.segmentation, img.height, img.width, `annotation ${ann.id} segmentation`);
  }

  /** pycocotools annToMask: a row-major height*width array of 0/1. */
  annToMask(ann: CocoAnnotation): Uint8Array {
    return decodeRle(this.annToRle(ann));
  }
}

function lookup<T>(map: Map<number, T>, id: number, method: string, what: string): T {
  const value = map.get(id);
  if (value === undefined) throw new Error(`CocoIndex.${method}: no ${what} with id ${id}`);
  return value;
}
