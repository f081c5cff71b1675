/**
 * The detection-training bench's batches (issue #17; tools/bench/det-train.js and
 * tools/bench/torch_det_train.py): per image the formula image of src/testing/rcnn-images.ts
 * quantised to 8 bits (what a decoded JPEG gives the trainer), and as ground truth its painted
 * rectangles: integer xyxy boxes, a fixed 1-based COCO label per rectangle and the rectangle's
 * bit mask. The pixels and masks travel to the torch side as raw bytes, so both sides train on
 * the same bytes rather than on two roundings of one formula.
 */
import { rcnnImageValues, type RcnnImageSpec } from '../testing/rcnn-images.js';
import { DETECTOR_BENCH_IMAGE } from './bench-image.js';

/** One training image and its targets, in the layout @tfvision/coco's DetectionSample uses. */
export interface TrainImage {
  name: string;
  height: number;
  width: number;
  /** HWC RGB bytes. */
  pixels: Uint8Array;
  /** N x 4 xyxy, row-major. */
  boxes: Float32Array;
  /** 1-based labels (torchvision's, background 0). */
  labels: Int32Array;
  /** One row-major H*W 0/1 mask per box. */
  masks: Uint8Array[];
}

/** Labels cycle through these (COCO ids below 91, as torchvision's 91-way heads take). */
const LABELS = [1, 3, 18, 44, 62, 85];

/** `spec`'s image and rectangles as one training image; rectangles must lie inside it with x1 < x2, y1 < y2. */
export function trainImage(spec: RcnnImageSpec): TrainImage {
  const [, height, width] = spec.shape;
  const values = rcnnImageValues(spec);
  const pixels = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) pixels[i] = Math.min(255, Math.max(0, Math.round(values[i] * 255)));
  const n = spec.rects.length;
  const boxes = new Float32Array(4 * n);
  const labels = new Int32Array(n);
  const masks: Uint8Array[] = [];
  spec.rects.forEach(([x1, y1, x2, y2], k) => {
    if (!(Number.isInteger(x1) && Number.isInteger(y1) && 0 <= x1 && x1 < x2 && x2 <= width && 0 <= y1 && y1 < y2 && y2 <= height)) {
      throw new Error(`trainImage: rects[${k}] of ${spec.name} must be integers with 0 <= x1 < x2 <= ${width}, 0 <= y1 < y2 <= ${height}, got [${x1}, ${y1}, ${x2}, ${y2}]`);
    }
    boxes.set([x1, y1, x2, y2], 4 * k);
    labels[k] = LABELS[k % LABELS.length];
    const mask = new Uint8Array(height * width);
    for (let y = y1; y < y2; y++) mask.fill(1, y * width + x1, y * width + x2);
    masks.push(mask);
  });
  return { name: spec.name, height, width, pixels, boxes, labels, masks };
}

/**
 * `batch` images of `height` x `width`: detector.bench.ts's rectangles scaled to the size
 * (rounded, kept inside), image k named `train<k>` so each has its own background.
 */
export function trainBatchSpecs(height: number, width: number, batch: number): RcnnImageSpec[] {
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`trainBatchSpecs: batch must be a positive integer, got ${batch}`);
  const [, h0, w0] = DETECTOR_BENCH_IMAGE.shape;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 32 || width < 32) throw new Error(`trainBatchSpecs: height and width must be integers >= 32, got ${height}x${width}`);
  const sx = (v: number) => Math.min(width, Math.round((v * width) / w0));
  const sy = (v: number) => Math.min(height, Math.round((v * height) / h0));
  const rects = DETECTOR_BENCH_IMAGE.rects.map(([x1, y1, x2, y2, ...rgb]) => [sx(x1), sy(y1), Math.max(sx(x2), sx(x1) + 1), Math.max(sy(y2), sy(y1) + 1), ...rgb]);
  return Array.from({ length: batch }, (_, k) => ({ name: `train${k}`, shape: [3, height, width] as const, rects }));
}
