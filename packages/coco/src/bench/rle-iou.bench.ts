/**
 * RLE IoU throughput: 100 detections x 20 ground truths per image, random polygons on a
 * 640x480 image, deterministic. Prints one JSON line.
 * Run after building: node packages/coco/dist/bench/rle-iou.bench.js [--images N]
 */
import { rleIou } from '../mask/iou.js';
import { rleFrPoly } from '../mask/poly.js';
import type { RleMask } from '../mask/rle.js';

const i = process.argv.indexOf('--images');
const images = i >= 0 ? Number(process.argv[i + 1]) : 50;
const H = 480;
const W = 640;
let seed = 42;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);

function randomPolygon(): number[] {
  const cx = rand() * W;
  const cy = rand() * H;
  const r = 10 + rand() * 120;
  const k = 6 + Math.floor(rand() * 10);
  const pts: number[] = [];
  for (let j = 0; j < k; j++) {
    const a = (2 * Math.PI * j) / k;
    const rr = r * (0.6 + 0.4 * rand());
    pts.push(cx + Math.cos(a) * rr, cy + Math.sin(a) * rr);
  }
  return pts;
}

const sets: { dt: RleMask[]; gt: RleMask[]; crowd: number[] }[] = [];
const t0 = performance.now();
for (let n = 0; n < images; n++) {
  sets.push({
    dt: Array.from({ length: 100 }, () => rleFrPoly(randomPolygon(), H, W)),
    gt: Array.from({ length: 20 }, () => rleFrPoly(randomPolygon(), H, W)),
    crowd: Array.from({ length: 20 }, (_, j) => (j === 0 ? 1 : 0)),
  });
}
const t1 = performance.now();
let overlapping = 0;
for (const s of sets) {
  const iou = rleIou(s.dt, s.gt, s.crowd);
  for (const v of iou) if (v > 0) overlapping++;
}
const t2 = performance.now();
const pairs = images * 100 * 20;
console.log(
  JSON.stringify({
    bench: 'rle-iou',
    images,
    pairs,
    overlappingPairs: overlapping,
    rasteriseSeconds: Math.round(t1 - t0) / 1000,
    iouSeconds: Math.round(t2 - t1) / 1000,
    pairsPerSecond: Math.round(pairs / ((t2 - t1) / 1000)),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
