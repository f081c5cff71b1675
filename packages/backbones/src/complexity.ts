import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Linear, type Module } from '@tfvision/nn';

/** Trainable parameters, as timm's and torchvision's tables count them. */
export function countParameters(model: Module): number {
  return model.trainableParameters().reduce((n, v) => n + v.size, 0);
}

export interface MacCount {
  /** Multiply-accumulates of one forward pass of one image (convolutions and linear layers). */
  macs: number;
  /** The share of convolutions (the rest is linear layers). */
  convMacs: number;
  linearMacs: number;
}

/**
 * Multiply-accumulates of one forward pass at `height` x `width`, counted as fvcore and timm's
 * tables count them: every convolution (output elements x kernel taps x input channels per
 * group) and linear layer (in x out), not the elementwise ops, norms or pools. The shapes come
 * from a real forward pass of one image in eval mode (so SK/split-attention branches, dilation
 * and TF 'same' padding are counted as they run).
 */
export function countMacs(model: Module, height: number, width: number, inChans = 3): MacCount {
  let convMacs = 0;
  let linearMacs = 0;
  const restore: (() => void)[] = [];
  for (const [, m] of model.namedModules()) {
    if (m instanceof Conv2d) {
      const conv = m;
      const count = (y: tf.Tensor4D): tf.Tensor4D => {
        const [, oh, ow, oc] = y.shape;
        convMacs += oh * ow * oc * conv.kernelSize[0] * conv.kernelSize[1] * (conv.inChannels / conv.groups);
        return y;
      };
      const original = conv.forward;
      conv.forward = (x: tf.Tensor4D): tf.Tensor4D => count(original.call(conv, x));
      restore.push(() => delete (conv as { forward?: unknown }).forward);
      // Convolutions with BatchNorm folded in (convBn at inference) run through this instead.
      const originalWith = conv.forwardWithWeights;
      conv.forwardWithWeights = (...args: Parameters<Conv2d['forwardWithWeights']>): tf.Tensor4D => count(originalWith.apply(conv, args));
      restore.push(() => delete (conv as { forwardWithWeights?: unknown }).forwardWithWeights);
    } else if (m instanceof Linear) {
      const lin = m;
      const original = lin.forward;
      lin.forward = (x: tf.Tensor2D): tf.Tensor2D => {
        linearMacs += x.shape[0] * lin.inFeatures * lin.outFeatures;
        return original.call(lin, x);
      };
      restore.push(() => delete (lin as { forward?: unknown }).forward);
    }
  }
  const wasTraining = model.training;
  model.eval();
  try {
    tf.tidy(() => {
      const x = tf.zeros([1, height, width, inChans]) as tf.Tensor4D;
      const forward = (model as unknown as { forward(x: tf.Tensor4D): tf.Tensor }).forward.bind(model);
      forward(x);
    });
  } finally {
    for (const r of restore) r();
    model.train(wasTraining);
  }
  return { macs: convMacs + linearMacs, convMacs, linearMacs };
}
