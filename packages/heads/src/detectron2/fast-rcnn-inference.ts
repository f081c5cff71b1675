/**
 * detectron2's fast_rcnn_inference_single_image (modeling/roi_heads/fast_rcnn.py @02b5c4e) for
 * class-agnostic boxes: rows with a non-finite box or score are dropped, the background column
 * (the LAST one) is removed, boxes are clipped to the image, every (row, class) with score >
 * scoreThresh (strict, float32) is a candidate in row-major order (nonzero), batched NMS by class,
 * the first topK kept. No minimum box size (torchvision drops w, h < 1e-2). Labels are the
 * 0-based class columns.
 */
import { batchedNmsIndices } from '../ops/batched-nms.js';
import type { HostDetections } from '../roi-heads/postprocess-detections.js';

export interface FastRcnnInferenceSettings {
  scoreThresh: number;
  nmsThresh: number;
  topK: number;
}

/** boxes row-major [R, 4], scores [R, K + 1] (background last) of one image. */
export function fastRcnnInferenceHost(boxes: Float32Array, scores: Float32Array, numColumns: number, imageSize: readonly [number, number], s: FastRcnnInferenceSettings): HostDetections {
  const r = scores.length / numColumns;
  if (boxes.length !== 4 * r) throw new Error(`fastRcnnInference: ${boxes.length / 4} boxes for ${r} score rows`);
  const [h, w] = imageSize;
  const thresh = Math.fround(s.scoreThresh);
  const candBoxes: number[] = [];
  const candScores: number[] = [];
  const candLabels: number[] = [];
  for (let i = 0; i < r; i++) {
    const b = boxes.subarray(4 * i, 4 * i + 4);
    const row = scores.subarray(i * numColumns, (i + 1) * numColumns);
    if (!b.every(Number.isFinite) || !row.every(Number.isFinite)) continue;
    const x1 = Math.min(Math.max(b[0], 0), w);
    const y1 = Math.min(Math.max(b[1], 0), h);
    const x2 = Math.min(Math.max(b[2], 0), w);
    const y2 = Math.min(Math.max(b[3], 0), h);
    for (let c = 0; c < numColumns - 1; c++) {
      if (!(row[c] > thresh)) continue;
      candBoxes.push(x1, y1, x2, y2);
      candScores.push(row[c]);
      candLabels.push(c);
    }
  }
  const cb = Float32Array.from(candBoxes);
  const cs = Float32Array.from(candScores);
  const keep = batchedNmsIndices(cb, cs, Int32Array.from(candLabels), s.nmsThresh).subarray(0, Math.max(s.topK, 0));
  const out: HostDetections = { boxes: new Float32Array(4 * keep.length), scores: new Float32Array(keep.length), labels: new Int32Array(keep.length) };
  keep.forEach((i, k) => {
    out.boxes.set(cb.subarray(4 * i, 4 * i + 4), 4 * k);
    out.scores[k] = cs[i];
    out.labels[k] = candLabels[i];
  });
  return out;
}
