/**
 * What every segmenter is: a module tree with the reference's parameter names whose forward
 * gives logits NHWC `[N, H, W, classes]` at the input size under `out` (torchvision's dict;
 * `aux` where an auxiliary head exists), and `forwardLowRes` the same before the final
 * upsampling. Inputs are normalised NHWC images; the checks name the model and the value.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@tfvision/nn';

/** Logits by head, as torchvision's segmentation models return them. */
export type SegmentationOutput = { out: tf.Tensor4D; aux?: tf.Tensor4D };

export abstract class Segmenter extends Module {
  /** The preset (or class) name errors use. */
  abstract readonly name: string;
  abstract readonly numClasses: number;
  /** Input channels the backbone takes. */
  abstract readonly inChannels: number;
  /** Input height and width must be multiples of this (1: any size). */
  abstract readonly sideMultiple: number;

  /** Logits at the input size (`out`, and `aux` if the model has an auxiliary head). */
  abstract forward(x: tf.Tensor4D): SegmentationOutput;

  /** Logits at the classifier's own resolution, before the final upsampling. */
  abstract forwardLowRes(x: tf.Tensor4D): SegmentationOutput;

  /** Throws a one-line error naming the model and the bad value. */
  protected checkInput(x: tf.Tensor4D, where: string): void {
    const id = `${this.constructor.name} (${this.name}).${where}`;
    if (!(x instanceof tf.Tensor) || x.rank !== 4) throw new Error(`${id}: x must be a rank-4 NHWC tensor, got ${x instanceof tf.Tensor ? `shape [${(x as tf.Tensor).shape}]` : typeof x}`);
    const [n, h, w, c] = x.shape;
    if (x.dtype !== 'float32') throw new Error(`${id}: x must be float32, got ${x.dtype}`);
    if (c !== this.inChannels) throw new Error(`${id}: x must have ${this.inChannels} channels (NHWC), got shape [${x.shape}]`);
    if (n < 1 || h < 1 || w < 1) throw new Error(`${id}: x must be non-empty, got shape [${x.shape}]`);
    const m = this.sideMultiple;
    for (const [side, v] of [['height', h], ['width', w]] as const) {
      if (v % m !== 0) throw new Error(`${id}: input ${side} ${v} is not a multiple of ${m} (the output stride; sides must be divisible by it, pad to ${Math.ceil(v / m) * m})`);
    }
    // torch refuses BatchNorm in training on one value per channel: the image-pooling branch at batch 1.
    if (this.training && n < 2) throw new Error(`${id}: training needs a batch of at least 2 (the ASPP image-pooling BatchNorm sees one value per channel per image), got batch ${n}`);
  }
}

/** Copies `out` / `aux` into a record tf.tidy can return (no undefined members). */
export function segmentationOutput(out: tf.Tensor4D, aux?: tf.Tensor4D): SegmentationOutput {
  return aux ? { out, aux } : { out };
}
