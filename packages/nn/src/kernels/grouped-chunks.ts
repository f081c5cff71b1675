import * as tf from '@tensorflow/tfjs-core';
import { splitBatch } from './batch-slice.js';

/**
 * Grouped convolution runs as S dense convolutions on "chunks" of gs consecutive groups each
 * (S = groups / gs). Within a chunk the filter is block-diagonal, so a chunk costs gs times the
 * grouped work but runs at dense-convolution speed; gs = 1 is a plain split. Tensors are moved
 * to chunk-major layout [S*N, H, W, C/S] with one rank-3 transpose, so every chunk is a
 * contiguous slice along the batch axis (slicing channels directly is a strided gather, which
 * dominated the split reference's time on wasm).
 */
export function toChunkMajor(x: tf.Tensor4D, chunks: number): tf.Tensor4D {
  if (chunks === 1) return x;
  const [n, h, w, c] = x.shape;
  return tf.reshape(tf.transpose(tf.reshape(x, [n * h * w, chunks, c / chunks]), [1, 0, 2]), [chunks * n, h, w, c / chunks]);
}

export function fromChunkMajor(y: tf.Tensor4D, chunks: number): tf.Tensor4D {
  if (chunks === 1) return y;
  const [sn, h, w, c] = y.shape;
  const n = sn / chunks;
  return tf.reshape(tf.transpose(tf.reshape(y, [chunks, n * h * w, c]), [1, 0, 2]), [n, h, w, chunks * c]);
}

/** Filter [kh, kw, Cg, O] of `groups` groups → per-chunk dense filters [S][kh, kw, gs*Cg, gs*Og]. */
export function chunkFilters(filter: tf.Tensor4D, groups: number, groupsPerChunk: number): tf.Tensor4D[] {
  const [kh, kw, cg, out] = filter.shape;
  const og = out / groups;
  const chunks = groups / groupsPerChunk;
  const taps = kh * kw;
  const byChunk = tf.transpose(tf.reshape(filter, [taps, cg, chunks, groupsPerChunk, og]), [2, 0, 3, 1, 4]); // [S, K, gs, Cg, Og]
  let dense: tf.Tensor;
  if (groupsPerChunk === 1) {
    dense = tf.reshape(byChunk, [chunks, kh, kw, cg, og]);
  } else {
    const eye = tf.reshape(tf.eye(groupsPerChunk), [1, groupsPerChunk, 1, groupsPerChunk, 1]);
    const blocks = tf.mul(tf.reshape(byChunk, [chunks * taps, groupsPerChunk, cg, 1, og]), eye); // [S*K, gs, Cg, gs, Og]
    dense = tf.reshape(blocks, [chunks, kh, kw, groupsPerChunk * cg, groupsPerChunk * og]);
  }
  return splitBatch(dense as tf.Tensor5D, chunks).map((f) => tf.reshape(f, f.shape.slice(1) as [number, number, number, number]));
}

/** Inverse of chunkFilters for gradients: keeps the diagonal blocks of [S][kh, kw, gs*Cg, gs*Og]. */
export function unchunkFilterGrads(perChunk: tf.Tensor4D[], groups: number, groupsPerChunk: number): tf.Tensor4D {
  const chunks = perChunk.length;
  const [kh, kw, csIn, csOut] = perChunk[0].shape;
  const cg = csIn / groupsPerChunk;
  const og = csOut / groupsPerChunk;
  const taps = kh * kw;
  let diag = tf.reshape(tf.stack(perChunk, 0), [chunks * taps, groupsPerChunk, cg, groupsPerChunk, og]);
  if (groupsPerChunk > 1) {
    const eye = tf.reshape(tf.eye(groupsPerChunk), [1, groupsPerChunk, 1, groupsPerChunk, 1]);
    diag = tf.sum(tf.mul(diag, eye), 3, true);
  }
  const byTap = tf.transpose(tf.reshape(diag, [chunks, taps, groupsPerChunk, cg, og]), [1, 3, 0, 2, 4]); // [K, Cg, S, gs, Og]
  return tf.reshape(byTap, [kh, kw, cg, groups * og]);
}

/**
 * Groups per chunk: the largest divisor of `groups` keeping a chunk's input channels at most
 * max(minChunkChannels, Cg). On wasm, XNNPACK convolutions with fewer than ~16 channels run far
 * below peak, so paying a few times the arithmetic for 16-channel chunks wins (measured on
 * ResNeXt-50 shapes: 56x56, Cg=4: 60 ms chunked by 4 vs 127 ms split).
 */
export function groupsPerChunk(groups: number, channelsPerGroup: number, minChunkChannels: number): number {
  const limit = Math.max(1, Math.floor(Math.max(minChunkChannels, channelsPerGroup) / channelsPerGroup));
  let best = 1;
  for (let d = 1; d <= Math.min(groups, limit); d++) if (groups % d === 0) best = d;
  return best;
}
