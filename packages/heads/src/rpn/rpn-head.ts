import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Module, ReLU, Sequential, normal } from '@tfvision/nn';

/** Per-level RPN outputs, NHWC: objectness [N, H, W, A], box deltas [N, H, W, 4A] (anchor a's deltas at channels 4a..4a+3). */
export interface RpnHeadOutput {
  objectness: tf.Tensor4D[];
  deltas: tf.Tensor4D[];
}

export interface RpnHeadOptions {
  inChannels: number;
  /** Anchors per location (sizes per level x aspect ratios: 3 for the FPN presets). */
  numAnchors: number;
  /** 3x3 conv + ReLU layers shared by both predictors: 1 (v1, detectron2) or 2 (v2). */
  convDepth?: number;
}

/**
 * torchvision's RPNHead: `convDepth` 3x3 convs with bias and ReLU (`conv.{i}.0`), then the 1x1
 * `cls_logits` (A channels) and `bbox_pred` (4A), shared over every level. Weights are N(0, 0.01)
 * and biases 0, as torchvision initialises them. In NHWC the flattening order (y, x, anchor) of
 * the outputs is already torchvision's permute_and_flatten order.
 */
export class RpnHead extends Module {
  readonly conv: Sequential;
  readonly clsLogits: Conv2d;
  readonly bboxPred: Conv2d;
  readonly numAnchors: number;

  constructor(o: RpnHeadOptions) {
    super();
    const depth = o.convDepth ?? 1;
    if (!Number.isInteger(depth) || depth < 1) throw new Error(`RpnHead: convDepth must be a positive integer, got ${depth}`);
    if (!Number.isInteger(o.numAnchors) || o.numAnchors < 1) throw new Error(`RpnHead: numAnchors must be a positive integer, got ${o.numAnchors}`);
    this.numAnchors = o.numAnchors;
    const small = (conv: Conv2d): Conv2d => {
      const w = normal(conv.weight.shape, 0.01);
      conv.weight.assign(w);
      w.dispose();
      return conv;
    };
    const blocks = Array.from({ length: depth }, () => new Sequential([small(new Conv2d({ inChannels: o.inChannels, outChannels: o.inChannels, kernelSize: 3, bias: true, init: 'none' })), new ReLU()]));
    this.conv = this.registerModule('conv', new Sequential(blocks));
    this.clsLogits = this.registerModule('cls_logits', small(new Conv2d({ inChannels: o.inChannels, outChannels: o.numAnchors, kernelSize: 1, bias: true, init: 'none' })));
    this.bboxPred = this.registerModule('bbox_pred', small(new Conv2d({ inChannels: o.inChannels, outChannels: 4 * o.numAnchors, kernelSize: 1, bias: true, init: 'none' })));
  }

  forward(features: tf.Tensor4D[]): RpnHeadOutput {
    return tf.tidy(() => {
      const objectness: tf.Tensor4D[] = [];
      const deltas: tf.Tensor4D[] = [];
      for (const f of features) {
        const t = this.conv.forward(f) as tf.Tensor4D;
        objectness.push(this.clsLogits.forward(t));
        deltas.push(this.bboxPred.forward(t));
      }
      return { objectness, deltas };
    });
  }
}
