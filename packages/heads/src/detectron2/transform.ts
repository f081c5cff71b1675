/**
 * detectron2's input pipeline and post-processing for one batch, as DefaultPredictor and
 * GeneralizedRCNN (modeling/meta_arch/rcnn.py, modeling/postprocessing.py @02b5c4e) run them on
 * float images:
 * - the [0, 1] RGB input is scaled to detectron2's 0-255 range (inputScale) and put in the
 *   model's channel order (INPUT.FORMAT; zoo checkpoints are BGR);
 * - ResizeShortestEdge (resize-shortest-edge.ts sizes) with F.interpolate bilinear,
 *   align_corners false, which is what ResizeTransform does to float arrays (uint8 arrays go
 *   through PIL, whose filter differs);
 * - (x − PIXEL_MEAN) / PIXEL_STD, then zero padding right/bottom to a multiple of 32 (ImageList);
 * - postprocess (detector_postprocess): boxes scaled by output / resized size per axis (float32),
 *   clipped to the output image, empty boxes (w or h <= 0) dropped with their rows, masks pasted
 *   with paste-masks.ts (probabilities, not thresholded).
 * Training draws each image's short side from minSizeTrain ("choice" sampling) with `random`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@tfvision/nn';
import { interpolate } from '../ops/interpolate.js';
import { SeededRng } from '../ops/seeded-rng.js';
import type { ImageList } from '../structures/image-list.js';
import type { Detections } from '../structures/instances.js';
import { batchImages } from '../transform/batch-images.js';
import { pasteMasksDetectron2Host } from './paste-masks.js';
import { resizeShortestEdgeSize } from './resize-shortest-edge.js';

const OP = 'Detectron2Transform';

export interface Detectron2TransformOptions {
  /** INPUT.MIN_SIZE_TEST (800). */
  minSizeTest: number;
  /** INPUT.MAX_SIZE_TEST (1333). */
  maxSizeTest: number;
  /** INPUT.MIN_SIZE_TRAIN, one drawn per image ((640, ..., 800)). */
  minSizeTrain: readonly number[];
  /** INPUT.MAX_SIZE_TRAIN (1333). */
  maxSizeTrain: number;
  /** MODEL.PIXEL_MEAN in the model's channel order, 0-255 scale. */
  pixelMean: readonly [number, number, number];
  /** MODEL.PIXEL_STD in the model's channel order. */
  pixelStd: readonly [number, number, number];
  /** INPUT.FORMAT: the channel order the backbone expects (inputs are RGB). */
  inputFormat: 'RGB' | 'BGR';
  /** Factor from the [0, 1] input to detectron2's range (255). */
  inputScale: number;
  /** The backbone's size_divisibility (32 with an FPN). */
  sizeDivisibility: number;
  /** The training draw: values in [0, 1) (default a SeededRng(0) stream). */
  random?: () => number;
}

export interface Detectron2TransformOutput {
  images: ImageList;
  /** Each image's (height, width) before resizing. */
  originalSizes: [number, number][];
  /** Per image: GT boxes scaled like the image, when targets were given. */
  boxes?: tf.Tensor2D[];
  /** Per image: GT masks resized (nearest) like the image, when targets had masks. */
  masks?: tf.Tensor3D[];
}

export class Detectron2Transform extends Module {
  readonly options: Readonly<Detectron2TransformOptions>;
  private readonly random: () => number;

  constructor(o: Detectron2TransformOptions) {
    super();
    if (!(o.inputScale > 0)) throw new Error(`${OP}: inputScale must be positive, got ${o.inputScale}`);
    if (o.inputFormat !== 'RGB' && o.inputFormat !== 'BGR') throw new Error(`${OP}: inputFormat must be 'RGB' or 'BGR', got ${String(o.inputFormat)}`);
    if (o.pixelStd.length !== 3 || o.pixelMean.length !== 3 || !o.pixelStd.every((s) => s > 0)) throw new Error(`${OP}: pixelMean and pixelStd must be 3 numbers (std > 0), got [${o.pixelMean}] and [${o.pixelStd}]`);
    if (o.minSizeTrain.length === 0) throw new Error(`${OP}: minSizeTrain must list at least one size`);
    this.options = o;
    if (o.random) this.random = o.random;
    else {
      const rng = new SeededRng(0);
      this.random = () => rng.next();
    }
  }

  /** The resized [height, width] of one image in the current mode (draws in training). */
  resizedSize(height: number, width: number): [number, number] {
    const o = this.options;
    if (!this.training) return resizeShortestEdgeSize(height, width, o.minSizeTest, o.maxSizeTest);
    const u = this.random();
    if (!(u >= 0 && u < 1)) throw new Error(`${OP}: random() must return a number in [0, 1), got ${u}`);
    const short = o.minSizeTrain[Math.min(Math.floor(u * o.minSizeTrain.length), o.minSizeTrain.length - 1)];
    return resizeShortestEdgeSize(height, width, short, o.maxSizeTrain);
  }

  /**
   * Images [H, W, 3] (float32 RGB in [0, 1]) -> the normalised, padded batch; targets' boxes (and
   * masks) are resized with them (ResizeTransform.apply_coords: x · new_w / w). Returns new tensors.
   */
  forward(images: readonly tf.Tensor3D[], targets?: readonly { boxes: tf.Tensor2D; masks?: tf.Tensor3D }[]): Detectron2TransformOutput {
    if (!Array.isArray(images) || images.length === 0) throw new Error(`${OP}: images must be a non-empty list of [H, W, 3] tensors`);
    if (targets && targets.length !== images.length) throw new Error(`${OP}: got ${targets.length} targets for ${images.length} images`);
    images.forEach((img, i) => {
      if (!(img instanceof tf.Tensor) || img.rank !== 3 || img.shape[2] !== 3 || img.dtype !== 'float32') {
        throw new Error(`${OP}: images[${i}] must be a float32 [H, W, 3] tensor, got ${img instanceof tf.Tensor ? `${img.dtype} [${img.shape.join(', ')}]` : typeof img}`);
      }
    });
    const o = this.options;
    const originalSizes = images.map((img): [number, number] => [img.shape[0], img.shape[1]]);
    const sizes = originalSizes.map(([h, w]) => this.resizedSize(h, w));
    const resized = images.map((img, i) =>
      tf.tidy(() => {
        let x: tf.Tensor3D = tf.mul(img, o.inputScale);
        if (o.inputFormat === 'BGR') x = tf.reverse(x, 2);
        const [h, w] = sizes[i];
        if (h !== x.shape[0] || w !== x.shape[1]) x = tf.squeeze(interpolate(tf.expandDims(x, 0) as tf.Tensor4D, { size: [h, w], mode: 'bilinear', alignCorners: false }), [0]);
        return tf.div(tf.sub(x, tf.tensor1d([...o.pixelMean], 'float32')), tf.tensor1d([...o.pixelStd], 'float32')) as tf.Tensor3D;
      }),
    );
    const tensor = batchImages(resized, o.sizeDivisibility);
    tf.dispose(resized);
    const out: Detectron2TransformOutput = { images: { tensor, imageSizes: sizes.map((s): [number, number] => [s[0], s[1]]) }, originalSizes };
    if (targets) {
      out.boxes = targets.map((t, i) => scaleBoxes(t.boxes, sizes[i][1] / originalSizes[i][1], sizes[i][0] / originalSizes[i][0]));
      if (targets.every((t) => t.masks)) {
        out.masks = targets.map((t, i) =>
          tf.tidy(() => {
            const m = t.masks as tf.Tensor3D;
            const [n, h, w] = m.shape;
            if (h === sizes[i][0] && w === sizes[i][1]) return tf.cast(m, 'float32') as tf.Tensor3D;
            const r = interpolate(tf.reshape(tf.cast(m, 'float32'), [n, h, w, 1]) as tf.Tensor4D, { size: sizes[i], mode: 'nearest' });
            return tf.reshape(r, [n, sizes[i][0], sizes[i][1]]) as tf.Tensor3D;
          }),
        );
      }
    }
    return out;
  }

  /**
   * detector_postprocess: detections in the resized images' pixels (masks [N, M, M]
   * probabilities) -> the original images' pixels, clipped, empty boxes dropped, masks pasted.
   */
  postprocess(detections: readonly Detections[], imageSizes: readonly (readonly [number, number])[], originalSizes: readonly (readonly [number, number])[]): Detections[] {
    return detections.map((d, i) => {
      const [oh, ow] = originalSizes[i];
      const [rh, rw] = imageSizes[i];
      const sx = Math.fround(ow / rw);
      const sy = Math.fround(oh / rh);
      const boxes = d.boxes.dataSync() as Float32Array;
      const n = d.scores.shape[0];
      const keep: number[] = [];
      const scaled = new Float32Array(4 * n);
      for (let k = 0; k < n; k++) {
        const x1 = Math.min(Math.max(Math.fround(boxes[4 * k] * sx), 0), ow);
        const y1 = Math.min(Math.max(Math.fround(boxes[4 * k + 1] * sy), 0), oh);
        const x2 = Math.min(Math.max(Math.fround(boxes[4 * k + 2] * sx), 0), ow);
        const y2 = Math.min(Math.max(Math.fround(boxes[4 * k + 3] * sy), 0), oh);
        scaled.set([x1, y1, x2, y2], 4 * k);
        if (Math.fround(x2 - x1) > 0 && Math.fround(y2 - y1) > 0) keep.push(k);
      }
      const kept = Int32Array.from(keep);
      const keptBoxes = new Float32Array(4 * kept.length);
      kept.forEach((k, j) => keptBoxes.set(scaled.subarray(4 * k, 4 * k + 4), 4 * j));
      const scores = d.scores.dataSync();
      const labels = d.labels.dataSync();
      const out: Detections = {
        boxes: tf.tensor2d(keptBoxes, [kept.length, 4], 'float32'),
        scores: tf.tensor1d(Float32Array.from(kept, (k) => scores[k]), 'float32'),
        labels: tf.tensor1d(Int32Array.from(kept, (k) => labels[k]), 'int32'),
      };
      if (d.masks) {
        const [, m] = d.masks.shape;
        const all = d.masks.dataSync() as Float32Array;
        const masks = new Float32Array(kept.length * m * m);
        kept.forEach((k, j) => masks.set(all.subarray(k * m * m, (k + 1) * m * m), j * m * m));
        out.masks = tf.tensor3d(pasteMasksDetectron2Host(masks, kept.length, m, keptBoxes, oh, ow), [kept.length, oh, ow], 'float32');
      }
      return out;
    });
  }
}

/** Boxes [N, 4] with x scaled by sx and y by sy (float64 factors, as apply_coords, rounded to float32 once). */
function scaleBoxes(boxes: tf.Tensor2D, sx: number, sy: number): tf.Tensor2D {
  const v = boxes.dataSync();
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i += 4) {
    out[i] = v[i] * sx;
    out[i + 1] = v[i + 1] * sy;
    out[i + 2] = v[i + 2] * sx;
    out[i + 3] = v[i + 3] * sy;
  }
  return tf.tensor2d(out, [v.length / 4, 4], 'float32');
}
