/**
 * The image the detector benches run (detector.bench.ts, cascade.bench.ts): 800x1088, which both
 * torchvision's GeneralizedRCNNTransform (800 / 1333) and detectron2's ResizeShortestEdge keep at
 * scale 1 with no padding (both sides divisible by 32), the formula image of
 * src/testing/rcnn-images.ts with a few rectangles as objects. The reference scripts rebuild it
 * from this spec.
 */
import type { RcnnImageSpec } from '../testing/rcnn-images.js';

export const DETECTOR_BENCH_IMAGE: RcnnImageSpec = {
  name: 'image0',
  shape: [3, 800, 1088],
  rects: [
    [80, 96, 480, 560, 0.9, 0.2, 0.1],
    [560, 240, 1040, 480, 0.1, 0.8, 0.3],
    [320, 600, 720, 760, 0.95, 0.95, 0.9],
    [800, 40, 960, 720, 0.3, 0.3, 0.85],
    [40, 640, 200, 780, 0.7, 0.7, 0.1],
    [620, 520, 700, 580, 0.05, 0.6, 0.9],
  ],
};
