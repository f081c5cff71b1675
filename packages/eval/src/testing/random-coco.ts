/**
 * Deterministic random COCO ground truth and results that exercise the evaluator's corner
 * cases: crowds, tied scores, tiny and border-straddling areas, GT `area` fields that differ
 * from the box area, empty images, categories without GT, detections of unknown categories,
 * and many detections per image. Used by the reference tests, the fixtures and the bench.
 */
import { rleFrPoly, rleToCompressed, type CocoAnnotation, type CocoDataset, type CocoResult } from '@tfvision/coco';

/** mulberry32: small, fast, and the same sequence on every platform. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RandomCocoOptions {
  seed: number;
  images: number;
  categories: number;
  gtPerImage: number;
  dtPerImage: number;
  iouType: 'bbox' | 'segm';
  /** Image side in pixels (square images); default 64. */
  size?: number;
  crowdRate?: number;
}

export interface RandomCoco {
  gt: CocoDataset;
  results: CocoResult[];
}

function polygonInBox(rand: () => number, x: number, y: number, w: number, h: number): number[] {
  const k = 3 + Math.floor(rand() * 5);
  const cx = x + w / 2;
  const cy = y + h / 2;
  const pts: number[] = [];
  for (let i = 0; i < k; i++) {
    const ang = (2 * Math.PI * (i + rand() * 0.8)) / k;
    const r = 0.5 + rand() * 0.5;
    pts.push(round(cx + Math.cos(ang) * r * (w / 2), 2), round(cy + Math.sin(ang) * r * (h / 2), 2));
  }
  return pts;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export function randomCoco(opts: RandomCocoOptions): RandomCoco {
  const rand = seededRandom(opts.seed);
  const S = opts.size ?? 64;
  const crowdRate = opts.crowdRate ?? 0.08;
  const pick = (n: number) => Math.floor(rand() * n);
  const images = Array.from({ length: opts.images }, (_, i) => ({ id: 1 + i * 3, width: S + pick(8), height: S - pick(8), file_name: `${i}.jpg` }));
  // Category ids are sparse and listed out of order; the last one never gets GT.
  const categories = Array.from({ length: opts.categories }, (_, i) => ({ id: 2 * (opts.categories - i) + 1, name: `c${i}` }));
  const catIds = categories.map((c) => c.id);
  const gtCats = catIds.slice(0, Math.max(1, catIds.length - 1));

  const randomBox = (W: number, H: number): [number, number, number, number] => {
    // A mix of tiny, medium and large objects, some straddling the image border.
    const scale = rand();
    const side = scale < 0.3 ? 1 + rand() * 6 : scale < 0.7 ? 6 + rand() * (W / 3) : W / 3 + rand() * (W / 2);
    const w = round(side * (0.5 + rand()), pick(2) ? 0 : 2);
    const h = round(side * (0.5 + rand()), pick(2) ? 0 : 2);
    const x = round(rand() * (W - w / 2) - w / 4, pick(2) ? 0 : 2);
    const y = round(rand() * (H - h / 2) - h / 4, pick(2) ? 0 : 2);
    return [x, y, Math.max(w, 0.5), Math.max(h, 0.5)];
  };

  const annotations: CocoAnnotation[] = [];
  let annId = 1;
  for (const im of images) {
    if (rand() < 0.1) continue; // an image without any GT still counts
    const n = pick(opts.gtPerImage * 2 + 1);
    for (let j = 0; j < n; j++) {
      const bbox = randomBox(im.width, im.height);
      const crowd = rand() < crowdRate ? 1 : 0;
      const poly = polygonInBox(rand, ...bbox);
      // The GT area field decides area ranges; make it disagree with the box now and then.
      const boxArea = bbox[2] * bbox[3];
      const area = rand() < 0.2 ? round(boxArea * (0.3 + rand() * 1.4), 2) : rand() < 0.05 ? 32 * 32 : boxArea;
      const ann: CocoAnnotation = { id: annId++, image_id: im.id, category_id: gtCats[pick(gtCats.length)], bbox, area, iscrowd: crowd as 0 | 1 };
      if (opts.iouType === 'segm') {
        if (crowd && rand() < 0.7) {
          const rle = rleFrPoly(poly, im.height, im.width);
          ann.segmentation = { size: [im.height, im.width], counts: Array.from(rle.counts) };
        } else {
          ann.segmentation = rand() < 0.2 ? [poly, polygonInBox(rand, ...randomBox(im.width, im.height))] : [poly];
        }
      } else ann.segmentation = [poly];
      annotations.push(ann);
    }
  }

  const results: CocoResult[] = [];
  const gtByImage = new Map<number, CocoAnnotation[]>();
  for (const a of annotations) gtByImage.set(a.image_id, [...(gtByImage.get(a.image_id) ?? []), a]);
  for (const im of images) {
    const n = pick(opts.dtPerImage * 2 + 1);
    const gts = gtByImage.get(im.id) ?? [];
    for (let j = 0; j < n; j++) {
      let bbox: [number, number, number, number];
      let category = catIds[pick(catIds.length)];
      if (gts.length > 0 && rand() < 0.6) {
        // Near a GT: jitter so IoUs spread over the thresholds.
        const g = gts[pick(gts.length)];
        category = rand() < 0.85 ? g.category_id : category;
        const jit = () => (rand() - 0.5) * 0.4;
        bbox = [round(g.bbox[0] + jit() * g.bbox[2], 2), round(g.bbox[1] + jit() * g.bbox[3], 2), round(g.bbox[2] * (1 + jit()), 2), round(g.bbox[3] * (1 + jit()), 2)];
        if (rand() < 0.1) bbox = [...g.bbox];
      } else bbox = randomBox(im.width, im.height);
      if (rand() < 0.02) category = 1000; // not a GT category: pycocotools drops it
      // Coarse scores make ties common, within and across images.
      const score = rand() < 0.5 ? round(rand(), 1) : round(rand(), 3);
      const r: CocoResult = { image_id: im.id, category_id: category, score };
      if (opts.iouType === 'segm') {
        const rle = rleFrPoly(polygonInBox(rand, ...bbox), im.height, im.width);
        r.segmentation = rleToCompressed(rle);
        // pycocotools' loadRes reads the first result: with a bbox, area is the box area.
        if (results.length > 0 && rand() < 0.3) r.bbox = bbox;
      } else r.bbox = bbox;
      results.push(r);
    }
  }
  if (results.length === 0) results.push({ image_id: images[0].id, category_id: catIds[0], score: 0.5, bbox: [1, 1, 4, 4], ...(opts.iouType === 'segm' ? { segmentation: rleToCompressed(rleFrPoly([1, 1, 5, 1, 5, 5, 1, 5], images[0].height, images[0].width)) } : {}) });
  return { gt: { images, categories, annotations }, results };
}
