import * as tf from '@tensorflow/tfjs-core';
import { roiAlignAttrsOf, type RoiAlignAttrs, type RoiAlignGradAttrs } from './roi-align-attrs.js';
import { compositeKernel } from '@tfvision/nn';
import { AxisSamples, checkBatchIndex, roiBins, type RoiBins } from './roi-align-sampling.js';
import type { Shape4 } from './host-backend.js';

/**
 * RoIAlign for tfjs-node (the `tensorflow` backend, which has no such op) as tfjs ops: the
 * sample positions and weights come from the same host rules as the cpu kernel (rois are read
 * once, they are small), then the forward is a gather of the four corners of every sample and
 * a weighted sum, and the backward a scatter-add (ScatterNd sums duplicate indices) of dy times
 * the same weights. Both are exact functions of x and dy, so no autodiff runs through them.
 * RoIs go in chunks of similar sample counts, each gathered block near CHUNK_ELEMENTS floats.
 */

const CHUNK_ELEMENTS = 1 << 24;

interface SampleChunk {
  /** The RoIs of this chunk (indices into rois). */
  members: Int32Array;
  /** Corners per bin, padded to the chunk's largest grid (padding has weight 0, index 0). */
  perBin: number;
  index: Int32Array;
  /** Corner weight divided by the bin's sample count. */
  weight: Float32Array;
}

const cornersPerBin = (b: RoiBins) => 4 * Math.max(b.gridH, 0) * Math.max(b.gridW, 0);

/** Smallest power of two >= n (n >= 1): RoIs are grouped so padding at most doubles a chunk. */
const bucketOf = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(n, 4)));

function fillChunk(chunk: SampleChunk, all: RoiBins[], a: RoiAlignAttrs, shape: Shape4, ys: AxisSamples, xs: AxisSamples): void {
  const [, h, w] = shape;
  const bins = a.pooledHeight * a.pooledWidth;
  chunk.members.forEach((k, m) => {
    const b = all[k];
    ys.fill(b.startH, b.binH, b.gridH, a.pooledHeight, h);
    xs.fill(b.startW, b.binW, b.gridW, a.pooledWidth, w);
    const image = b.batch * h * w;
    for (let ph = 0; ph < a.pooledHeight; ph++) {
      for (let pw = 0; pw < a.pooledWidth; pw++) {
        let at = (m * bins + ph * a.pooledWidth + pw) * chunk.perBin;
        for (let iy = 0; iy < b.gridH; iy++) {
          const j = ph * b.gridH + iy;
          for (let ix = 0; ix < b.gridW; ix++, at += 4) {
            const i = pw * b.gridW + ix;
            if (ys.valid[j] === 0 || xs.valid[i] === 0) continue;
            const rowLow = image + ys.low[j] * w;
            const rowHigh = image + ys.high[j] * w;
            chunk.index[at] = rowLow + xs.low[i];
            chunk.index[at + 1] = rowLow + xs.high[i];
            chunk.index[at + 2] = rowHigh + xs.low[i];
            chunk.index[at + 3] = rowHigh + xs.high[i];
            chunk.weight[at] = Math.fround(ys.lowWeight[j] * xs.lowWeight[i]) / b.count;
            chunk.weight[at + 1] = Math.fround(ys.lowWeight[j] * xs.highWeight[i]) / b.count;
            chunk.weight[at + 2] = Math.fround(ys.highWeight[j] * xs.lowWeight[i]) / b.count;
            chunk.weight[at + 3] = Math.fround(ys.highWeight[j] * xs.highWeight[i]) / b.count;
          }
        }
      }
    }
  });
}

/**
 * RoIs grouped by their (power-of-two rounded) samples per bin, so an adaptive grid's huge RoI
 * does not pad every small one, and cut so a chunk's gathered block stays near chunkElements.
 */
function sampleChunks(rois: Float32Array, numRois: number, a: RoiAlignAttrs, shape: Shape4, chunkElements: number): SampleChunk[] {
  const bins = a.pooledHeight * a.pooledWidth;
  const c = shape[3];
  const all = Array.from({ length: numRois }, (_, k) => roiBins(rois, k, a));
  all.forEach((b, k) => checkBatchIndex('roiAlign', b, k, shape[0]));
  const byBucket = new Map<number, number[]>();
  const selective = a.roiLevels.length > 0;
  all.forEach((b, k) => {
    if (selective && a.roiLevels[k] !== a.level) return;
    const bucket = bucketOf(cornersPerBin(b));
    const list = byBucket.get(bucket);
    if (list) list.push(k);
    else byBucket.set(bucket, [k]);
  });
  const chunks: SampleChunk[] = [];
  const ys = new AxisSamples();
  const xs = new AxisSamples();
  for (const [perBin, members] of [...byBucket.entries()].sort((p, q) => p[0] - q[0])) {
    const perChunk = Math.max(1, Math.floor(chunkElements / (bins * perBin * c)));
    for (let first = 0; first < members.length; first += perChunk) {
      const part = Int32Array.from(members.slice(first, first + perChunk));
      const length = part.length * bins * perBin;
      const chunk = { members: part, perBin, index: new Int32Array(length), weight: new Float32Array(length) };
      fillChunk(chunk, all, a, shape, ys, xs);
      chunks.push(chunk);
    }
  }
  return chunks;
}

function isIdentity(order: Int32Array, length: number): boolean {
  return order.length === length && order.every((v, i) => v === i);
}

/** Forward: [K, outH, outW, C]. chunkElements bounds the gathered block (tests make it small). */
export function roiAlignComposite(x: tf.Tensor4D, rois: tf.Tensor2D, a: RoiAlignAttrs, chunkElements = CHUNK_ELEMENTS): tf.Tensor4D {
  return tf.tidy(() => {
    const shape = x.shape as Shape4;
    const c = shape[3];
    const numRois = rois.shape[0];
    const outShape: Shape4 = [numRois, a.pooledHeight, a.pooledWidth, c];
    if (numRois === 0) return tf.zeros(outShape);
    const flat = tf.reshape(x, [shape[0] * shape[1] * shape[2], c]);
    const chunks = sampleChunks(rois.dataSync() as Float32Array, numRois, a, shape, chunkElements);
    if (chunks.length === 0) return tf.zeros(outShape);
    const parts = chunks.map((chunk) => {
      const corners = tf.gather(flat, tf.tensor1d(chunk.index, 'int32'));
      const weighted = tf.mul(corners, tf.tensor2d(chunk.weight, [chunk.weight.length, 1]));
      const sums = tf.sum(tf.reshape(weighted, [chunk.index.length / chunk.perBin, chunk.perBin, c]), 1);
      return tf.reshape(sums, [chunk.members.length, a.pooledHeight, a.pooledWidth, c]);
    });
    const pooled = parts.length === 1 ? parts[0] : tf.concat(parts, 0);
    const order = Int32Array.from(chunks.flatMap((chunk) => Array.from(chunk.members)));
    if (isIdentity(order, numRois)) return pooled as tf.Tensor4D;
    // Rows back in RoI order; RoIs of other levels (roiLevels) stay 0.
    return tf.scatterND(tf.tensor2d(order, [order.length, 1], 'int32'), pooled, outShape) as tf.Tensor4D;
  });
}

/** Backward: d(features) for dy [K, outH, outW, C]. */
export function roiAlignGradComposite(dy: tf.Tensor4D, rois: tf.Tensor2D, a: RoiAlignAttrs, inputShape: Shape4, chunkElements = CHUNK_ELEMENTS): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = inputShape;
    const numRois = rois.shape[0];
    if (numRois === 0 || n * h * w * c === 0) return tf.zeros(inputShape);
    const bins = a.pooledHeight * a.pooledWidth;
    let dx: tf.Tensor | undefined;
    for (const chunk of sampleChunks(rois.dataSync() as Float32Array, numRois, a, inputShape, chunkElements)) {
      const rows = tf.reshape(tf.gather(dy, tf.tensor1d(chunk.members, 'int32')), [chunk.members.length * bins, 1, c]);
      const updates = tf.mul(rows, tf.tensor3d(chunk.weight, [chunk.members.length * bins, chunk.perBin, 1]));
      const part = tf.scatterND(tf.tensor2d(chunk.index, [chunk.index.length, 1], 'int32'), tf.reshape(updates, [chunk.index.length, c]), [n * h * w, c]);
      dx = dx === undefined ? part : tf.add(dx, part);
    }
    return tf.reshape(dx as tf.Tensor, inputShape);
  });
}

export const roiAlignTensorflow = compositeKernel(({ x, rois }, attrs) => roiAlignComposite(x as tf.Tensor4D, rois as tf.Tensor2D, roiAlignAttrsOf(attrs)));

export const roiAlignGradTensorflow = compositeKernel(({ dy, rois }, attrs) => {
  const inputShape = [...(attrs as unknown as RoiAlignGradAttrs).inputShape] as Shape4;
  return roiAlignGradComposite(dy as tf.Tensor4D, rois as tf.Tensor2D, roiAlignAttrsOf(attrs), inputShape);
});
