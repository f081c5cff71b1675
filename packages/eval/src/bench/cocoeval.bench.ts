/**
 * COCOeval throughput on a val2017-sized bbox result set generated deterministically:
 * 5000 images, ~36k GT, ~100 detections per image, 80 categories. Prints one JSON line.
 * Run: npm run bench -w @tfvision/eval  (options: --images N --iou-type bbox|segm)
 */
import { loadRes } from '@tfvision/coco';
import { CocoEval } from '../coco/cocoeval.js';
import { randomCoco } from '../testing/random-coco.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const images = Number(arg('images', '5000'));
const iouType = arg('iou-type', 'bbox') === 'segm' ? 'segm' : 'bbox';
const t0 = performance.now();
const { gt, results } = randomCoco({ seed: 2017, images, categories: 80, gtPerImage: 8, dtPerImage: 100, iouType, size: 640, crowdRate: 0.01 });
const t1 = performance.now();
const E = new CocoEval(gt, loadRes(gt, results), iouType);
const t2 = performance.now();
E.evaluate();
const t3 = performance.now();
E.accumulate();
const t4 = performance.now();
const stats = E.summarize();
const t5 = performance.now();
const s = (ms: number) => Math.round(ms) / 1000;
console.log(
  JSON.stringify({
    bench: `cocoeval-${iouType}`,
    images,
    groundTruths: gt.annotations.length,
    detections: results.length,
    categories: gt.categories.length,
    generateSeconds: s(t1 - t0),
    loadResSeconds: s(t2 - t1),
    evaluateSeconds: s(t3 - t2),
    accumulateSeconds: s(t4 - t3),
    summarizeSeconds: s(t5 - t4),
    evalTotalSeconds: s(t5 - t1),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    node: process.version,
    AP: stats[0],
  }),
);
