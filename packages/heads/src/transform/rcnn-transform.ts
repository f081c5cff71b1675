/**
 * torchvision's GeneralizedRCNNTransform (models/detection/transform.py, 0.14; rules in
 * DETECTION-SEMANTICS.md section 1) on HWC images: normalise with mean/std, resize each image
 * with the min/max rule (rcnnResizedSize: float32 scale with torch's reciprocal quirk; the
 * output side is floor(side·scale); bilinear, alignCorners false, the kernel then using in/out,
 * which is interpolate's recomputeScaleFactor), pad right/bottom with 0 to a multiple of
 * sizeDivisible, and return the ImageList. Targets given are resized too: boxes by the float32
 * per-axis ratios (resize_boxes), masks by 'nearest' at the same scale factor. postprocess maps
 * detections back to the original image: boxes by original/new, masks pasted into the image.
 *
 * Training draws each image's short-side target from minSize (torch_choice: index =
 * floor(uniform(0, len))) with the injected `random`; eval uses the last minSize, as torchvision.
 * Unlike torchvision, postprocess maps in training mode too (torchvision returns the detections
 * as they are there, but a training forward returns losses, not detections).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@tfvision/nn';
import { interpolate } from '../ops/interpolate.js';
import { pasteMasksInImage } from '../ops/paste-masks.js';
import { rcnnResizedSize } from '../ops/rcnn-resized-size.js';
import { SeededRng } from '../ops/seeded-rng.js';
import type { ImageList } from '../structures/image-list.js';
import { checkInstances, type DetectionTargets, type Detections } from '../structures/instances.js';
import { batchImages } from './batch-images.js';
import { resizeBoxes } from './resize-boxes.js';
import { resolveRcnnTransformOptions, type RcnnTransformOptions, type ResolvedRcnnTransformOptions } from './rcnn-transform-options.js';

const OP = 'GeneralizedRCNNTransform';

export type Size2 = [number, number];

/** What forward returns: the padded batch, the resized targets (when given), the sizes before resizing. */
export interface RcnnTransformOutput {
  images: ImageList;
  targets?: DetectionTargets[];
  originalSizes: Size2[];
}

/** How one image was resized: the interpolate call torchvision makes. */
interface ResizePlan {
  size?: Size2;
  scaleFactor?: number;
}

export class GeneralizedRCNNTransform extends Module {
  readonly options: ResolvedRcnnTransformOptions;
  private random: () => number;

  /** @example new GeneralizedRCNNTransform({ minSize: 800, maxSize: 1333 }).eval() */
  constructor(options: RcnnTransformOptions = {}) {
    super();
    this.options = resolveRcnnTransformOptions(options);
    if (options.random) this.random = options.random;
    else {
      const rng = new SeededRng(0);
      this.random = () => rng.next();
    }
  }

  /**
   * Replaces the training draw of minSize (the `random` option), for a detector built before its
   * trainer's per-step stream exists: a stream restarted at each step makes a resumed run resize
   * every image as an uninterrupted one.
   */
  setRandom(random: () => number): void {
    if (typeof random !== 'function') throw new Error(`${OP}: setRandom: random must be a function returning values in [0, 1), got ${typeof random}`);
    this.random = random;
  }

  /**
   * Normalises, resizes and batches `images` ([H, W, C] float32 in [0, 1], any sizes), and
   * resizes `targets` (one per image) when given. Every returned tensor is new: dispose the
   * ImageList's tensor and the targets (disposeInstances) when done; the inputs stay the caller's.
   */
  forward(images: readonly tf.Tensor3D[], targets?: readonly DetectionTargets[]): RcnnTransformOutput {
    if (!Array.isArray(images) || images.length === 0) throw new Error(`${OP}: images must be a non-empty list of [H, W, C] tensors, got ${Array.isArray(images) ? 'an empty list' : typeof images}`);
    if (targets !== undefined && targets.length !== images.length) throw new Error(`${OP}: got ${targets.length} targets for ${images.length} images`);
    images.forEach((img, i) => this.checkImage(img, i));
    targets?.forEach((t, i) => checkInstances({ boxes: t.boxes, labels: t.labels, masks: t.masks }, `${OP}: targets[${i}]`));
    const originalSizes = images.map((img): Size2 => [img.shape[0], img.shape[1]]);
    const resized: tf.Tensor3D[] = [];
    const newTargets: DetectionTargets[] = [];
    try {
      images.forEach((img, i) => {
        const plan = this.resizePlan(img.shape[0], img.shape[1]);
        resized.push(tf.tidy(() => this.resizeImage(this.normalize(img), plan)));
        const t = targets?.[i];
        if (t) newTargets.push(this.resizeTarget(t, plan, originalSizes[i], [resized[i].shape[0], resized[i].shape[1]]));
      });
      const tensor = batchImages(resized, this.options.sizeDivisible);
      const imageSizes = resized.map((img): Size2 => [img.shape[0], img.shape[1]]);
      return { images: { tensor, imageSizes }, ...(targets ? { targets: newTargets } : {}), originalSizes };
    } catch (err) {
      for (const t of newTargets) tf.dispose([t.boxes, t.labels, ...(t.masks ? [t.masks] : [])]);
      throw err;
    } finally {
      tf.dispose(resized);
    }
  }

  /** (image − mean) / std per channel, in float32 (torchvision's normalize). */
  normalize(image: tf.Tensor3D): tf.Tensor3D {
    const { imageMean, imageStd } = this.options;
    return tf.tidy(() => tf.div(tf.sub(image, tf.tensor1d([...imageMean], 'float32')), tf.tensor1d([...imageStd], 'float32')));
  }

  /** The short-side target of the next image: drawn from minSize in training, the last one in eval. */
  private minSizeForNextImage(): number {
    const sizes = this.options.minSize;
    if (!this.training) return sizes[sizes.length - 1];
    const u = this.random();
    if (!(u >= 0 && u < 1)) throw new Error(`${OP}: random() must return a number in [0, 1), got ${u}`);
    return sizes[Math.min(Math.floor(u * sizes.length), sizes.length - 1)];
  }

  private resizePlan(height: number, width: number): ResizePlan {
    const minSize = this.minSizeForNextImage();
    const { fixedSize } = this.options;
    if (fixedSize) return { size: [fixedSize[1], fixedSize[0]] };
    return { scaleFactor: rcnnResizedSize(height, width, minSize, this.options.maxSize).scale };
  }

  private resizeImage(image: tf.Tensor3D, plan: ResizePlan): tf.Tensor3D {
    const [h, w, c] = image.shape;
    const x = tf.reshape(image, [1, h, w, c]) as tf.Tensor4D;
    const options = plan.size ? { size: plan.size } : { scaleFactor: plan.scaleFactor as number, recomputeScaleFactor: true };
    const y = interpolate(x, { ...options, mode: 'bilinear', alignCorners: false });
    return tf.reshape(y, [y.shape[1], y.shape[2], c]) as tf.Tensor3D;
  }

  private resizeTarget(target: DetectionTargets, plan: ResizePlan, originalSize: Size2, newSize: Size2): DetectionTargets {
    return tf.tidy(() => {
      const boxes = resizeBoxes(target.boxes, originalSize, newSize);
      const labels = tf.clone(target.labels);
      if (!target.masks) return { boxes, labels };
      const [n, h, w] = target.masks.shape;
      const options = plan.size ? { size: plan.size } : { scaleFactor: plan.scaleFactor as number, recomputeScaleFactor: true };
      // torchvision resizes masks[:, None].float() with interpolate's default mode, 'nearest'.
      const masks = interpolate(tf.reshape(target.masks, [n, h, w, 1]) as tf.Tensor4D, { ...options, mode: 'nearest' });
      const [, oh, ow] = masks.shape;
      if (oh !== newSize[0] || ow !== newSize[1]) throw new Error(`${OP}: masks resized to ${oh}x${ow} but the image to ${newSize[0]}x${newSize[1]}`);
      return { boxes, labels, masks: tf.reshape(masks, [n, oh, ow]) as tf.Tensor3D };
    });
  }

  /**
   * Detections on the resized images back to the original ones: boxes scaled by
   * original/resized per axis (float32, no clipping), masks ([N, M, M] probabilities) pasted into
   * the original image ([N, H, W]). Returns new tensors; the inputs stay the caller's.
   */
  postprocess(detections: readonly Detections[], imageSizes: readonly Size2[], originalSizes: readonly Size2[]): Detections[] {
    if (detections.length !== imageSizes.length || detections.length !== originalSizes.length) {
      throw new Error(`${OP}: postprocess needs one image size and one original size per detections entry, got ${detections.length} detections, ${imageSizes.length} image sizes, ${originalSizes.length} original sizes`);
    }
    const out: Detections[] = [];
    try {
      detections.forEach((d, i) => {
        checkInstances({ boxes: d.boxes, scores: d.scores, labels: d.labels, masks: d.masks }, `${OP}: detections[${i}]`);
        const boxes = resizeBoxes(d.boxes, imageSizes[i], originalSizes[i]);
        const mapped: Detections = { boxes, scores: tf.clone(d.scores), labels: tf.clone(d.labels) };
        out.push(mapped);
        if (d.masks) mapped.masks = pasteMasksInImage(d.masks, boxes, originalSizes[i][0], originalSizes[i][1]);
      });
    } catch (err) {
      for (const d of out) tf.dispose([d.boxes, d.scores, d.labels, ...(d.masks ? [d.masks] : [])]);
      throw err;
    }
    return out;
  }

  private checkImage(img: tf.Tensor3D, i: number): void {
    if (!(img instanceof tf.Tensor) || img.rank !== 3) {
      throw new Error(`${OP}: images[${i}] must be an [H, W, C] tensor, got ${img instanceof tf.Tensor ? `shape ${JSON.stringify(img.shape)}` : typeof img}`);
    }
    if (img.dtype !== 'float32') throw new Error(`${OP}: images[${i}] must be float32 in [0, 1], got ${img.dtype}`);
    const channels = this.options.imageMean.length;
    if (img.shape[2] !== channels) throw new Error(`${OP}: images[${i}] must have ${channels} channels (imageMean has ${channels}), got shape ${JSON.stringify(img.shape)}`);
    if (img.shape[0] < 1 || img.shape[1] < 1) throw new Error(`${OP}: images[${i}] must not be empty, got shape ${JSON.stringify(img.shape)}`);
  }
}
