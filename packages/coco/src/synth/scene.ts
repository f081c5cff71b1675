import { rleFrPoly } from '../mask/poly.js';
import { decodeRle, rleArea, rleMerge, rleToBbox, type RleMask } from '../mask/rle.js';
import type { BBox, Segmentation } from '../types.js';
import type { SeededRandom } from './prng.js';
import { SHAPE_CATEGORIES, polygonBbox, shapePolygon, type ShapeCategory } from './shapes.js';

/** One annotation of a scene, before ids are assigned. */
export interface SceneObject {
  category_id: number;
  bbox: BBox;
  area: number;
  iscrowd: 0 | 1;
  segmentation: Segmentation;
}

export interface Scene {
  width: number;
  height: number;
  /** RGB, row-major HWC. */
  pixels: Uint8Array;
  objects: SceneObject[];
  /** Per object, its area before anything was painted over it (occluded scenes only). */
  fullAreas?: number[];
}

export interface Disc {
  cx: number;
  cy: number;
  r: number;
}

/** Objects never overlap (their enclosing discs keep this gap), so every mask is fully visible. */
export const GAP = 2;
export const PLACEMENT_TRIES = 25;

/**
 * Draws one image: a noisy gradient background, 1 to 5 shapes of log-uniform size (so
 * COCO's small/medium/large areas all occur) and, in about one image in four, a crowd
 * region: a cluster of small blobs annotated once with iscrowd 1 and an uncompressed RLE, as
 * COCO annotates crowds. Areas are the rasterised mask areas (pycocotools' polygon
 * rasterisation) and the painted pixels are exactly those masks.
 */
export function generateScene(rng: SeededRandom, size: number): Scene {
  const width = size;
  const height = rng.next() < 0.5 ? size : Math.round((size * 3) / 4);
  const pixels = paintBackground(rng, width, height);
  const discs: Disc[] = [];
  const objects: SceneObject[] = [];
  const scene: Scene = { width, height, pixels, objects };

  // One image in five gets a large object first, while there is room for it: log-uniform
  // sizes alone almost never reach COCO's "large" (area > 96^2) at small image sizes.
  if (rng.next() < 0.2) {
    const category = SHAPE_CATEGORIES[rng.int(0, SHAPE_CATEGORIES.length - 1)];
    const r = rng.uniform(0.38, 0.49) * Math.min(width, height);
    placeShape(rng, scene, category, placeDisc(rng, width, height, r, discs));
  }
  if (rng.next() < 0.25) {
    const crowd = placeCrowd(rng, width, height, discs);
    if (crowd) {
      paintMask(pixels, crowd.mask, jitter(rng, crowd.category.color));
      objects.push(crowd.object);
    }
  }
  const count = rng.int(1, 5);
  const maxRadius = 0.48 * Math.min(width, height);
  for (let i = 0; i < count; i++) {
    const category = SHAPE_CATEGORIES[rng.int(0, SHAPE_CATEGORIES.length - 1)];
    placeShape(rng, scene, category, placeDisc(rng, width, height, rng.logUniform(4, maxRadius), discs));
  }
  return scene;
}

function placeShape(rng: SeededRandom, scene: Scene, category: ShapeCategory, disc: Disc | undefined): void {
  if (!disc) return;
  const { width, height, pixels, objects } = scene;
  const polygon = shapePolygon(category.name, disc.cx, disc.cy, disc.r, rng.uniform(0, 2 * Math.PI));
  const mask = rleFrPoly(polygon, height, width);
  const area = rleArea(mask);
  if (area === 0) return;
  paintMask(pixels, mask, jitter(rng, category.color));
  objects.push({ category_id: category.id, bbox: polygonBbox(polygon), area, iscrowd: 0, segmentation: [polygon] });
}

export function placeDisc(rng: SeededRandom, width: number, height: number, r: number, discs: Disc[]): Disc | undefined {
  for (let t = 0; t < PLACEMENT_TRIES; t++) {
    const disc = { cx: rng.uniform(r + 1, width - r - 1), cy: rng.uniform(r + 1, height - r - 1), r };
    if (discs.every((d) => Math.hypot(d.cx - disc.cx, d.cy - disc.cy) >= d.r + disc.r + GAP)) {
      discs.push(disc);
      return disc;
    }
  }
  return undefined;
}

export function placeCrowd(
  rng: SeededRandom,
  width: number,
  height: number,
  discs: Disc[],
): { object: SceneObject; mask: RleMask; category: ShapeCategory } | undefined {
  const half = Math.min(width, height) / 8;
  const disc = placeDisc(rng, width, height, half * Math.SQRT2, discs);
  if (!disc) return undefined;
  const category = SHAPE_CATEGORIES[rng.int(0, SHAPE_CATEGORIES.length - 1)];
  const blobs: RleMask[] = [];
  const n = rng.int(5, 9);
  for (let i = 0; i < n; i++) {
    const r = rng.uniform(1.5, 3.5);
    const cx = rng.uniform(disc.cx - half + r, disc.cx + half - r);
    const cy = rng.uniform(disc.cy - half + r, disc.cy + half - r);
    blobs.push(rleFrPoly(shapePolygon('circle', cx, cy, r, 0), height, width));
  }
  const mask = rleMerge(blobs);
  const area = rleArea(mask);
  if (area === 0) return undefined;
  return {
    category,
    mask,
    object: {
      category_id: category.id,
      bbox: rleToBbox(mask),
      area,
      iscrowd: 1,
      segmentation: { size: [height, width], counts: Array.from(mask.counts) },
    },
  };
}

export function jitter(rng: SeededRandom, color: readonly number[]): [number, number, number] {
  const c = color.map((v) => Math.max(0, Math.min(255, v + rng.int(-15, 15))));
  return [c[0], c[1], c[2]];
}

const { max, min, round } = Math;

export function paintBackground(rng: SeededRandom, width: number, height: number): Uint8Array {
  const from = [rng.int(150, 235), rng.int(150, 235), rng.int(150, 235)];
  const to = [rng.int(150, 235), rng.int(150, 235), rng.int(150, 235)];
  const pixels = new Uint8Array(width * height * 3);
  const span = Math.max(1, width + height - 2);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = (x + y) / span;
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) pixels[o + c] = max(0, min(255, round(from[c] + (to[c] - from[c]) * t) + rng.int(-6, 6)));
    }
  }
  return pixels;
}

export function paintMask(pixels: Uint8Array, mask: RleMask, color: readonly number[]): void {
  const bits = decodeRle(mask);
  for (let p = 0; p < bits.length; p++) {
    if (bits[p] === 0) continue;
    pixels[p * 3] = color[0];
    pixels[p * 3 + 1] = color[1];
    pixels[p * 3 + 2] = color[2];
  }
}
