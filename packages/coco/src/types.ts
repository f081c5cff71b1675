/**
 * The COCO instances and results formats, exactly as published
 * (https://cocodataset.org/#format-data). Field names keep COCO's snake_case so a parsed
 * file round-trips byte-compatible.
 */

/** Uncompressed RLE: column-major run lengths starting with a run of zeros. */
export interface RleUncompressed {
  size: [number, number]; // [height, width]
  counts: number[];
}

/** Compressed RLE: the LEB-like 5-bit delta-coded string of pycocotools. */
export interface RleCompressed {
  size: [number, number]; // [height, width]
  counts: string;
}

export type Rle = RleUncompressed | RleCompressed;

/** A list of polygons, each a flat [x0, y0, x1, y1, ...] list. */
export type Polygons = number[][];

export type Segmentation = Polygons | Rle;

/** [x, y, width, height] in pixels, top-left origin. */
export type BBox = [number, number, number, number];

export interface CocoImage {
  id: number;
  width: number;
  height: number;
  file_name: string;
  license?: number;
  coco_url?: string;
  flickr_url?: string;
  date_captured?: string;
  [extra: string]: unknown;
}

export interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  bbox: BBox;
  area: number;
  iscrowd: 0 | 1;
  segmentation?: Segmentation;
  /** pycocotools' evaluator overwrites this with iscrowd; kept for round trips. */
  ignore?: number;
  [extra: string]: unknown;
}

export interface CocoCategory {
  id: number;
  name: string;
  supercategory?: string;
  [extra: string]: unknown;
}

export interface CocoInfo {
  year?: number;
  version?: string;
  description?: string;
  contributor?: string;
  url?: string;
  date_created?: string;
  [extra: string]: unknown;
}

export interface CocoLicense {
  id: number;
  name: string;
  url?: string;
  [extra: string]: unknown;
}

/** An instances file (instances_val2017.json and friends). */
export interface CocoDataset {
  info?: CocoInfo;
  licenses?: CocoLicense[];
  images: CocoImage[];
  annotations: CocoAnnotation[];
  categories: CocoCategory[];
}

/** One entry of a results file (the list submitted to the evaluation server). */
export interface CocoResult {
  image_id: number;
  category_id: number;
  score: number;
  bbox?: BBox;
  segmentation?: Segmentation;
  [extra: string]: unknown;
}
