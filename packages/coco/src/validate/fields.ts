import { describeValue, isFiniteNumber, isInteger, isRecord, type ProblemList } from './problems.js';

/** Characters pycocotools writes in a compressed RLE string: 48 + a 6-bit value. */
const MIN_RLE_CHAR = 48;
const MAX_RLE_CHAR = 48 + 63;

export function checkInteger(value: unknown, path: string, problems: ProblemList): value is number {
  if (isInteger(value)) return true;
  problems.add(path, `expected an integer, got ${describeValue(value)}`);
  return false;
}

export function checkNonEmptyString(value: unknown, path: string, problems: ProblemList): value is string {
  if (typeof value === 'string' && value.length > 0) return true;
  problems.add(path, `expected a non-empty string, got ${describeValue(value)}`);
  return false;
}

/** `[x, y, width, height]`, all finite, width and height not negative. */
export function checkBbox(value: unknown, path: string, problems: ProblemList): boolean {
  if (!Array.isArray(value)) {
    problems.add(path, `expected [x, y, width, height], got ${describeValue(value)}`);
    return false;
  }
  if (value.length !== 4) {
    problems.add(path, `expected 4 numbers, got ${value.length}`);
    return false;
  }
  for (let i = 0; i < 4; i++) {
    if (!isFiniteNumber(value[i])) {
      problems.add(`${path}[${i}]`, `expected a number, got ${describeValue(value[i])}`);
      return false;
    }
  }
  if (value[2] < 0 || value[3] < 0) {
    problems.add(path, `negative box size: width ${value[2]}, height ${value[3]}`);
    return false;
  }
  return true;
}

/**
 * A segmentation: a list of polygons (flat x,y lists), an uncompressed RLE
 * `{size: [h, w], counts: number[]}` whose runs cover h*w pixels, or a compressed RLE
 * `{size, counts: string}`. `imageSize` ([h, w]) is checked against an RLE's size when known.
 */
export function checkSegmentation(value: unknown, path: string, problems: ProblemList, imageSize?: [number, number]): boolean {
  if (Array.isArray(value)) return checkPolygons(value, path, problems);
  if (isRecord(value)) return checkRle(value, path, problems, imageSize);
  problems.add(path, `expected a list of polygons or an RLE object {size, counts}, got ${describeValue(value)}`);
  return false;
}

function checkPolygons(polygons: unknown[], path: string, problems: ProblemList): boolean {
  for (let i = 0; i < polygons.length; i++) {
    const poly = polygons[i];
    if (!Array.isArray(poly)) {
      problems.add(`${path}[${i}]`, `expected a polygon [x0, y0, x1, y1, ...], got ${describeValue(poly)}`);
      return false;
    }
    if (poly.length % 2 !== 0) {
      problems.add(`${path}[${i}]`, `expected an even number of coordinates, got ${poly.length}`);
      return false;
    }
    for (let j = 0; j < poly.length; j++) {
      if (!isFiniteNumber(poly[j])) {
        problems.add(`${path}[${i}][${j}]`, `expected a number, got ${describeValue(poly[j])}`);
        return false;
      }
    }
  }
  return true;
}

function checkRle(rle: Record<string, unknown>, path: string, problems: ProblemList, imageSize?: [number, number]): boolean {
  const size = rle.size;
  if (!Array.isArray(size) || size.length !== 2 || !isInteger(size[0]) || !isInteger(size[1]) || size[0] < 0 || size[1] < 0) {
    problems.add(`${path}.size`, `expected [height, width] (two non-negative integers), got ${describeValue(size)}`);
    return false;
  }
  const [h, w] = size as [number, number];
  if (imageSize && (h !== imageSize[0] || w !== imageSize[1])) {
    problems.add(`${path}.size`, `[${h}, ${w}] does not match the image's [height, width] [${imageSize[0]}, ${imageSize[1]}]`);
    return false;
  }
  const counts = rle.counts;
  if (typeof counts === 'string') {
    for (let i = 0; i < counts.length; i++) {
      const c = counts.charCodeAt(i);
      if (c < MIN_RLE_CHAR || c > MAX_RLE_CHAR) {
        problems.add(`${path}.counts`, `character ${i} (${JSON.stringify(counts[i])}) is not a compressed RLE character ('0'..'o')`);
        return false;
      }
    }
    return true;
  }
  if (!Array.isArray(counts)) {
    problems.add(`${path}.counts`, `expected a list of run lengths or a compressed RLE string, got ${describeValue(counts)}`);
    return false;
  }
  let total = 0;
  for (let i = 0; i < counts.length; i++) {
    const run = counts[i];
    if (!isInteger(run) || run < 0) {
      problems.add(`${path}.counts[${i}]`, `expected a non-negative integer run length, got ${describeValue(run)}`);
      return false;
    }
    total += run;
  }
  if (total !== h * w) {
    problems.add(`${path}.counts`, `run lengths sum to ${total}, expected height*width = ${h * w}`);
    return false;
  }
  return true;
}
