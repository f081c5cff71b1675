/**
 * BoxCoder equal to torchvision 0.14 `models/detection/_utils.py`: the (dx, dy, dw, dh)
 * parameterisation with per-coordinate weights, widths x2 - x1 (no +1), centres x1 + 0.5 w, and
 * dw, dh clamped from above only at `bboxXformClip` (log(1000 / 16) by default) before exp.
 * Every step is the float32 op torchvision runs, in its order, on tensors (so it runs on any
 * backend and is differentiable); exp and log may differ from torch's by an ulp.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertBoxes } from './assert-boxes.js';

export type BoxCoderWeights = readonly [number, number, number, number];

/** log(1000 / 16): torchvision's default bbox_xform_clip. */
export const DEFAULT_BBOX_XFORM_CLIP = Math.log(1000 / 16);

export class BoxCoder {
  constructor(
    readonly weights: BoxCoderWeights,
    readonly bboxXformClip: number = DEFAULT_BBOX_XFORM_CLIP,
  ) {
    if (weights.length !== 4 || weights.some((w) => !Number.isFinite(w) || w === 0)) {
      throw new Error(`BoxCoder: weights must be 4 finite non-zero numbers, got [${weights.join(', ')}]`);
    }
    if (Number.isNaN(bboxXformClip)) throw new Error(`BoxCoder: bboxXformClip must be a number, got ${bboxXformClip}`);
  }

  /** Per-image encode: the images' boxes are concatenated, encoded at once and split back. */
  encode(referenceBoxes: readonly tf.Tensor2D[], proposals: readonly tf.Tensor2D[]): tf.Tensor2D[] {
    if (referenceBoxes.length !== proposals.length) {
      throw new Error(`BoxCoder.encode: referenceBoxes and proposals must list the same number of images, got ${referenceBoxes.length} and ${proposals.length}`);
    }
    const sizes = referenceBoxes.map((b) => b.shape[0]);
    return tf.tidy(() => {
      const targets = this.encodeSingle(concatRows(referenceBoxes), concatRows(proposals));
      return tf.split(targets, sizes, 0);
    });
  }

  /** Regression targets of `referenceBoxes` (ground truth) relative to `proposals`: [N, 4] -> [N, 4]. */
  encodeSingle(referenceBoxes: tf.Tensor2D, proposals: tf.Tensor2D): tf.Tensor2D {
    assertBoxes('BoxCoder.encodeSingle', 'referenceBoxes', referenceBoxes);
    assertBoxes('BoxCoder.encodeSingle', 'proposals', proposals);
    if (referenceBoxes.shape[0] !== proposals.shape[0]) {
      throw new Error(`BoxCoder.encodeSingle: referenceBoxes and proposals must have the same length, got ${referenceBoxes.shape[0]} and ${proposals.shape[0]}`);
    }
    const [wx, wy, ww, wh] = this.weights;
    return tf.tidy(() => {
      const [px1, py1, px2, py2] = tf.unstack(proposals, 1);
      const [gx1, gy1, gx2, gy2] = tf.unstack(referenceBoxes, 1);
      const exW = tf.sub(px2, px1);
      const exH = tf.sub(py2, py1);
      const exCx = tf.add(px1, tf.mul(0.5, exW));
      const exCy = tf.add(py1, tf.mul(0.5, exH));
      const gtW = tf.sub(gx2, gx1);
      const gtH = tf.sub(gy2, gy1);
      const gtCx = tf.add(gx1, tf.mul(0.5, gtW));
      const gtCy = tf.add(gy1, tf.mul(0.5, gtH));
      const dx = tf.div(tf.mul(wx, tf.sub(gtCx, exCx)), exW);
      const dy = tf.div(tf.mul(wy, tf.sub(gtCy, exCy)), exH);
      const dw = tf.mul(ww, tf.log(tf.div(gtW, exW)));
      const dh = tf.mul(wh, tf.log(tf.div(gtH, exH)));
      return tf.stack([dx, dy, dw, dh], 1) as tf.Tensor2D;
    });
  }

  /**
   * Decodes [sum N_i, 4K] codes against the images' boxes (N_i each): -> [sum N_i, K, 4].
   * With no boxes at all the result is [0, K, 4] (torchvision returns its 2-D [0, 4K] there).
   */
  decode(relCodes: tf.Tensor2D, boxes: readonly tf.Tensor2D[]): tf.Tensor3D {
    const total = boxes.reduce((s, b) => s + b.shape[0], 0);
    if (total === 0) return tf.zeros([0, Math.max(1, Math.floor((relCodes.shape[1] ?? 4) / 4)), 4]);
    return tf.tidy(() => {
      const codes = tf.reshape(relCodes, [total, -1]) as tf.Tensor2D;
      const decoded = this.decodeSingle(codes, concatRows(boxes));
      return tf.reshape(decoded, [total, -1, 4]) as tf.Tensor3D;
    });
  }

  /** Applies [N, 4K] codes (class k at columns 4k..4k+3) to [N, 4] boxes: -> [N, 4K]. */
  decodeSingle(relCodes: tf.Tensor2D, boxes: tf.Tensor2D): tf.Tensor2D {
    assertBoxes('BoxCoder.decodeSingle', 'boxes', boxes);
    if (relCodes.rank !== 2 || relCodes.shape[1] % 4 !== 0 || relCodes.shape[0] !== boxes.shape[0]) {
      throw new Error(`BoxCoder.decodeSingle: relCodes must have shape [${boxes.shape[0]}, 4K], got [${relCodes.shape.join(', ')}]`);
    }
    const [wx, wy, ww, wh] = this.weights;
    const n = boxes.shape[0];
    const k = relCodes.shape[1] / 4;
    return tf.tidy(() => {
      const [x1, y1, x2, y2] = tf.unstack(boxes, 1);
      const widths = tf.reshape(tf.sub(x2, x1), [n, 1]);
      const heights = tf.reshape(tf.sub(y2, y1), [n, 1]);
      const ctrX = tf.add(tf.reshape(x1, [n, 1]), tf.mul(0.5, widths));
      const ctrY = tf.add(tf.reshape(y1, [n, 1]), tf.mul(0.5, heights));
      const [cx, cy, cw, ch] = tf.unstack(tf.reshape(relCodes, [n, k, 4]), 2);
      const dx = tf.div(cx, wx);
      const dy = tf.div(cy, wy);
      const clip = Math.fround(this.bboxXformClip);
      const dw = tf.minimum(tf.div(cw, ww), clip);
      const dh = tf.minimum(tf.div(ch, wh), clip);
      const predCx = tf.add(tf.mul(dx, widths), ctrX);
      const predCy = tf.add(tf.mul(dy, heights), ctrY);
      const halfW = tf.mul(0.5, tf.mul(tf.exp(dw), widths));
      const halfH = tf.mul(0.5, tf.mul(tf.exp(dh), heights));
      const out = tf.stack([tf.sub(predCx, halfW), tf.sub(predCy, halfH), tf.add(predCx, halfW), tf.add(predCy, halfH)], 2);
      return tf.reshape(out, [n, 4 * k]) as tf.Tensor2D;
    });
  }
}

function concatRows(parts: readonly tf.Tensor2D[]): tf.Tensor2D {
  return parts.length === 1 ? parts[0] : (tf.concat(parts as tf.Tensor2D[], 0) as tf.Tensor2D);
}
