/**
 * Scenes where the class is the shape alone: each instance gets its own random colour (so a
 * detector cannot look its class up from the colour, as it can in the default scenes, where each
 * category has one colour) and later shapes may cover part of earlier ones (occlusion), as in
 * the "shapes" toy sets used to test Mask R-CNN. Annotations describe the visible pixels, as
 * COCO's do: an occluded instance's segmentation is the RLE of what is left of it, its box that
 * RLE's box and its area that RLE's area.
 */
import { rleFrPoly } from '../mask/poly.js';
import { decodeRle, encodeMask, rleArea, rleToBbox } from '../mask/rle.js';
import { rleToCompressed } from '../mask/codec.js';
import type { SeededRandom } from './prng.js';
import { GAP, PLACEMENT_TRIES, jitter, paintBackground, paintMask, placeCrowd, type Disc, type Scene, type SceneObject } from './scene.js';
import { SHAPE_CATEGORIES, polygonBbox, shapePolygon, type ShapeCategory } from './shapes.js';

/** How instances are coloured: by category (the default scenes) or at random per instance. */
export type SynthColors = 'category' | 'random';

export interface OccludedSceneOptions {
  colors: SynthColors;
  /** Largest fraction of an instance's area that shapes painted over it may cover, in [0, 0.9]. */
  maxOcclusion: number;
  /** Smallest circumradius in pixels of the 1-6 log-uniform shapes. Default SYNTH_MIN_RADIUS. */
  minRadius?: number;
  /** Most shapes drawn after the optional large one (1..maxObjects, uniform). Default SYNTH_MAX_OBJECTS. */
  maxObjects?: number;
}

/** The default scenes' most shapes per image (besides the optional large one and crowd). */
export const SYNTH_MAX_OBJECTS = 6;

/** The default scenes' smallest shape radius: a few pixels, so COCO's "small" objects occur. */
export const SYNTH_MIN_RADIUS = 4;

/** Instances that overlap differ by at least this RGB distance, so every boundary is visible. */
const MIN_NEIGHBOUR_CONTRAST = 100;
/** An instance differs from the background under its centre by at least this RGB distance. */
const MIN_BACKGROUND_CONTRAST = 80;
const COLOR_TRIES = 20;

interface Placed {
  category: ShapeCategory;
  polygon: number[];
  /** Pixels of the whole shape (row-major 0/1). */
  full: Uint8Array;
  fullArea: number;
  color: [number, number, number];
}

const { hypot, floor, min, max, round, PI } = Math;

/** One image; the rng draws are its own (this never reproduces generateScene's images). */
export function generateOccludedScene(rng: SeededRandom, size: number, options: OccludedSceneOptions): Scene {
  const width = size;
  const height = rng.next() < 0.5 ? size : round((size * 3) / 4);
  const pixels = paintBackground(rng, width, height);
  const background = pixels.slice();
  /** Index into `placed` of the instance on top at each pixel, -1 where background or crowd shows. */
  const owner = new Int32Array(width * height).fill(-1);
  const placed: Placed[] = [];
  const visibleArea: number[] = [];
  const crowdDiscs: Disc[] = [];
  const objects: SceneObject[] = [];
  const fullAreas: number[] = [];
  const minSide = min(width, height);

  const place = (category: ShapeCategory, r: number): void => {
    for (let t = 0; t < PLACEMENT_TRIES; t++) {
      const disc = { cx: rng.uniform(r + 1, width - r - 1), cy: rng.uniform(r + 1, height - r - 1), r };
      const rotation = rng.uniform(0, 2 * PI);
      if (crowdDiscs.some((d) => hypot(d.cx - disc.cx, d.cy - disc.cy) < d.r + disc.r + GAP)) continue;
      const polygon = shapePolygon(category.name, disc.cx, disc.cy, disc.r, rotation);
      const rle = rleFrPoly(polygon, height, width);
      const fullArea = rleArea(rle);
      if (fullArea === 0) return;
      const full = decodeRle(rle);
      const covered = new Map<number, number>();
      for (let p = 0; p < full.length; p++) if (full[p] && owner[p] >= 0) covered.set(owner[p], (covered.get(owner[p]) ?? 0) + 1);
      const tooOccluded = [...covered].some(([k, n]) => visibleArea[k] - n < (1 - options.maxOcclusion) * placed[k].fullArea);
      if (tooOccluded) continue;
      const neighbours = [...covered.keys()].map((k) => placed[k].color);
      const centre = (floor(disc.cy) * width + floor(disc.cx)) * 3;
      const color = pickColor(rng, category, neighbours, [background[centre], background[centre + 1], background[centre + 2]], options.colors);
      const k = placed.length;
      placed.push({ category, polygon, full, fullArea, color });
      visibleArea.push(fullArea);
      for (const [j, n] of covered) visibleArea[j] -= n;
      for (let p = 0; p < full.length; p++) {
        if (!full[p]) continue;
        owner[p] = k;
        pixels[p * 3] = color[0];
        pixels[p * 3 + 1] = color[1];
        pixels[p * 3 + 2] = color[2];
      }
      return;
    }
  };

  // The same mix as the default scenes: sometimes one large object first, sometimes a crowd
  // region (kept clear of every shape: a crowd is one annotation and must stay whole), then 1-6 shapes.
  if (rng.next() < 0.2) place(randomCategory(rng), rng.uniform(0.38, 0.49) * minSide);
  if (rng.next() < 0.25) {
    const taken: Disc[] = placed.map((p) => enclosingDisc(p.polygon));
    const crowd = placeCrowd(rng, width, height, taken);
    if (crowd) {
      crowdDiscs.push(taken[taken.length - 1]);
      const color = options.colors === 'random' ? randomColor(rng) : jitter(rng, crowd.category.color);
      paintMask(pixels, crowd.mask, color);
      objects.push(crowd.object);
      fullAreas.push(crowd.object.area);
    }
  }
  const count = rng.int(1, options.maxObjects ?? SYNTH_MAX_OBJECTS);
  const minRadius = options.minRadius ?? SYNTH_MIN_RADIUS;
  for (let i = 0; i < count; i++) place(randomCategory(rng), rng.logUniform(minRadius, 0.48 * minSide));

  placed.forEach((p, k) => {
    fullAreas.push(p.fullArea);
    if (visibleArea[k] === p.fullArea) {
      objects.push({ category_id: p.category.id, bbox: polygonBbox(p.polygon), area: p.fullArea, iscrowd: 0, segmentation: [p.polygon] });
      return;
    }
    const visible = new Uint8Array(owner.length);
    for (let q = 0; q < owner.length; q++) if (owner[q] === k) visible[q] = 1;
    const rle = encodeMask(visible, height, width);
    objects.push({ category_id: p.category.id, bbox: rleToBbox(rle), area: visibleArea[k], iscrowd: 0, segmentation: rleToCompressed(rle) });
  });
  return { width, height, pixels, objects, fullAreas };
}

function randomCategory(rng: SeededRandom): ShapeCategory {
  return SHAPE_CATEGORIES[rng.int(0, SHAPE_CATEGORIES.length - 1)];
}

/** The smallest disc around a polygon's centroid of vertices that holds all its vertices. */
function enclosingDisc(xy: readonly number[]): Disc {
  let sx = 0;
  let sy = 0;
  const n = xy.length / 2;
  for (let i = 0; i < xy.length; i += 2) [sx, sy] = [sx + xy[i], sy + xy[i + 1]];
  const cx = sx / n;
  const cy = sy / n;
  let r = 0;
  for (let i = 0; i < xy.length; i += 2) r = max(r, hypot(xy[i] - cx, xy[i + 1] - cy));
  return { cx, cy, r };
}

function distance(a: readonly number[], b: readonly number[]): number {
  return hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

/**
 * An instance colour: random (saturated enough to stand out from the pale background, and far
 * from the instances it overlaps) or the category's colour, jittered, as the default scenes paint.
 * After COLOR_TRIES rejections the last draw is kept, so generation always terminates.
 */
function pickColor(rng: SeededRandom, category: ShapeCategory, neighbours: readonly number[][], background: readonly number[], colors: SynthColors): [number, number, number] {
  if (colors === 'category') return jitter(rng, category.color);
  let color = randomColor(rng);
  for (let t = 1; t < COLOR_TRIES; t++) {
    if (distance(color, background) >= MIN_BACKGROUND_CONTRAST && neighbours.every((c) => distance(color, c) >= MIN_NEIGHBOUR_CONTRAST)) break;
    color = randomColor(rng);
  }
  return color;
}

/** A random RGB colour from HSV with saturation 0.5-1 and value 0.25-0.95. */
export function randomColor(rng: SeededRandom): [number, number, number] {
  const h = rng.uniform(0, 6);
  const s = rng.uniform(0.5, 1);
  const v = rng.uniform(0.25, 0.95);
  const i = floor(h);
  const f = h - i;
  const p = v * (1 - s);
  const q = v * (1 - s * f);
  const t = v * (1 - s * (1 - f));
  const rgb = [
    [v, t, p],
    [q, v, p],
    [p, v, t],
    [p, q, v],
    [t, p, v],
    [v, p, q],
  ][min(i, 5)];
  return [round(rgb[0] * 255), round(rgb[1] * 255), round(rgb[2] * 255)];
}
