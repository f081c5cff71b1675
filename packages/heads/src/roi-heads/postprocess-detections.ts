/**
 * torchvision 0.14 RoIHeads.postprocess_detections: per-class boxes decoded from every proposal
 * (BoxCoder weights), softmax scores, boxes clipped to the image, the background column dropped,
 * candidates flattened proposal-major and class-minor, score > scoreThresh (strict, float32),
 * width and height >= 1e-2, batched NMS by label (both of torchvision's CPU paths), the first
 * detectionsPerImg kept. Boxes stay in the resized image's coordinates.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchedNmsIndices } from '../ops/batched-nms.js';
import type { BoxCoder } from '../ops/box-coder.js';
import { clipBoxesToImage, removeSmallBoxesIndices } from '../ops/box-ops.js';

export interface PostprocessOptions {
  boxCoder: BoxCoder;
  scoreThresh: number;
  nmsThresh: number;
  detectionsPerImg: number;
}

/** One image's detections on the host: boxes row-major [D, 4], scores [D], labels [D]. */
export interface HostDetections {
  boxes: Float32Array;
  scores: Float32Array;
  labels: Int32Array;
}

/** torchvision's remove_small_boxes minimum in postprocess_detections. */
const MIN_BOX_SIZE = 1e-2;

/**
 * classLogits [K, C] and boxDeltas [K, 4C] of the proposals of every image (K = sum of N_i, in
 * image order) -> each image's detections, on the host.
 */
export function postprocessDetections(classLogits: tf.Tensor2D, boxDeltas: tf.Tensor2D, proposals: readonly tf.Tensor2D[], imageSizes: readonly (readonly [number, number])[], o: PostprocessOptions): HostDetections[] {
  const numClasses = classLogits.shape[1];
  const { boxes, scores } = tf.tidy(() => {
    const decoded = o.boxCoder.decode(boxDeltas, proposals);
    let start = 0;
    const clipped = proposals.map((p, i) => {
      const part = tf.slice(decoded, [start, 0, 0], [p.shape[0], numClasses, 4]);
      start += p.shape[0];
      return clipBoxesToImage(part, imageSizes[i]);
    });
    return { boxes: clipped, scores: tf.softmax(classLogits, -1) };
  });
  const allScores = scores.dataSync() as Float32Array;
  scores.dispose();
  let start = 0;
  return boxes.map((b) => {
    const n = b.shape[0];
    const host = selectDetections(b.dataSync() as Float32Array, allScores.subarray(start * numClasses, (start + n) * numClasses), numClasses, o);
    b.dispose();
    start += n;
    return host;
  });
}

/**
 * Host core for one image: boxes [N, C, 4] and scores [N, C] row-major (class 0 = background)
 * -> the kept detections in NMS order.
 */
export function selectDetections(boxes: Float32Array, scores: Float32Array, numClasses: number, o: Omit<PostprocessOptions, 'boxCoder'>): HostDetections {
  const thresh = Math.fround(o.scoreThresh);
  const n = scores.length / numClasses;
  const candBoxes: number[] = [];
  const candScores: number[] = [];
  const candLabels: number[] = [];
  for (let p = 0; p < n; p++) {
    for (let c = 1; c < numClasses; c++) {
      const s = scores[p * numClasses + c];
      if (!(s > thresh)) continue;
      const at = (p * numClasses + c) * 4;
      candBoxes.push(boxes[at], boxes[at + 1], boxes[at + 2], boxes[at + 3]);
      candScores.push(s);
      candLabels.push(c);
    }
  }
  const scored = Float32Array.from(candBoxes);
  const large = removeSmallBoxesIndices(scored, MIN_BOX_SIZE);
  const keptBoxes = new Float32Array(4 * large.length);
  const keptScores = new Float32Array(large.length);
  const keptLabels = new Int32Array(large.length);
  large.forEach((i, k) => {
    keptBoxes.set(scored.subarray(4 * i, 4 * i + 4), 4 * k);
    keptScores[k] = candScores[i];
    keptLabels[k] = candLabels[i];
  });
  const keep = batchedNmsIndices(keptBoxes, keptScores, keptLabels, o.nmsThresh).subarray(0, o.detectionsPerImg);
  const out: HostDetections = { boxes: new Float32Array(4 * keep.length), scores: new Float32Array(keep.length), labels: new Int32Array(keep.length) };
  keep.forEach((i, k) => {
    out.boxes.set(keptBoxes.subarray(4 * i, 4 * i + 4), 4 * k);
    out.scores[k] = keptScores[i];
    out.labels[k] = keptLabels[i];
  });
  return out;
}
