/** The synthetic categories: id, name and the RGB colour they are painted in. */
export interface ShapeCategory {
  id: number;
  name: ShapeName;
  color: [number, number, number];
}

export type ShapeName = 'circle' | 'square' | 'triangle' | 'hexagon' | 'star';

export const SHAPE_CATEGORIES: readonly ShapeCategory[] = [
  { id: 1, name: 'circle', color: [220, 40, 40] },
  { id: 2, name: 'square', color: [40, 170, 60] },
  { id: 3, name: 'triangle', color: [40, 80, 220] },
  { id: 4, name: 'hexagon', color: [230, 190, 30] },
  { id: 5, name: 'star', color: [190, 50, 200] },
];

/** Vertices on a circle of radius r around (cx, cy), starting at angle `rotation`. */
function regularPolygon(cx: number, cy: number, r: number, sides: number, rotation: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < sides; i++) {
    const a = rotation + (2 * Math.PI * i) / sides;
    out.push(cx + r * Math.cos(a), cy + r * Math.sin(a));
  }
  return out;
}

/**
 * The outline of a shape whose circumscribed circle has radius r, as a flat [x0, y0, ...]
 * polygon (COCO's polygon format). Coordinates are rounded to 2 decimals as COCO's are.
 */
export function shapePolygon(name: ShapeName, cx: number, cy: number, r: number, rotation: number): number[] {
  let xy: number[];
  switch (name) {
    case 'circle':
      xy = regularPolygon(cx, cy, r, 32, 0);
      break;
    case 'square':
      xy = regularPolygon(cx, cy, r, 4, rotation);
      break;
    case 'triangle':
      xy = regularPolygon(cx, cy, r, 3, rotation);
      break;
    case 'hexagon':
      xy = regularPolygon(cx, cy, r, 6, rotation);
      break;
    case 'star': {
      // Non-convex on purpose: rasterisation and area must handle concave outlines.
      xy = [];
      for (let i = 0; i < 10; i++) {
        const a = rotation + (Math.PI * i) / 5;
        const ri = i % 2 === 0 ? r : r * 0.45;
        xy.push(cx + ri * Math.cos(a), cy + ri * Math.sin(a));
      }
      break;
    }
  }
  return xy.map((v) => Math.round(v * 100) / 100);
}

/** [x, y, w, h] spanned by a polygon's vertices, as COCO's boxes for polygon annotations. */
export function polygonBbox(xy: readonly number[]): [number, number, number, number] {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < xy.length; i += 2) {
    x0 = Math.min(x0, xy[i]);
    x1 = Math.max(x1, xy[i]);
    y0 = Math.min(y0, xy[i + 1]);
    y1 = Math.max(y1, xy[i + 1]);
  }
  const round = (v: number) => Math.round(v * 100) / 100;
  return [round(x0), round(y0), round(x1 - x0), round(y1 - y0)];
}
