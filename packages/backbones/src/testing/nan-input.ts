/**
 * Shared by the all-NaN input tests: tiny ResNet-D (deep stem, max pool, average-pool
 * downsampling), ResNeXt (narrow groups) and EfficientNet (depthwise, SiLU, squeeze-excite)
 * models, and whether every logit they give for an all-NaN image is NaN, as in PyTorch.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Backbone } from '../backbone.js';
import { EfficientNet } from '../efficientnet.js';
import { getModelEntry } from '../registry.js';
import { RESNET_VARIANTS, ResNet } from '../resnet.js';

export interface NanCase {
  name: string;
  size: number;
  build: () => Backbone;
}

export const NAN_CASES: NanCase[] = [
  {
    name: 'resnet50d (narrow, one block per stage)',
    size: 32,
    build: () => new ResNet({ ...RESNET_VARIANTS.resnet50d.args, layers: [1, 1, 1, 1], channels: [16, 32, 32, 64], stemWidth: 16 }, { numClasses: 5 }, getModelEntry('resnet50d').defaultCfg),
  },
  {
    name: 'resnext50_32x4d (narrow, one block per stage)',
    size: 32,
    build: () => new ResNet({ ...RESNET_VARIANTS.resnext50_32x4d.args, layers: [1, 1, 1, 1], channels: [32, 32, 64, 64] }, { numClasses: 5 }, getModelEntry('resnext50_32x4d').defaultCfg),
  },
  {
    name: 'efficientnet_b0 (quarter width)',
    size: 32,
    build: () => new EfficientNet({ channelMultiplier: 0.25, depthMultiplier: 1, padding: 'pytorch', bnEps: 1e-5, bnMomentum: 0.1 }, { numClasses: 5 }, getModelEntry('efficientnet_b0').defaultCfg),
  },
];

/**
 * Logits of `model` for an all-NaN batch of two, in eval (BatchNorm folded; the folded weights
 * stay cached in the model) or train mode (nothing may stay).
 */
export async function logitsForNaNInput(model: Backbone, size: number, mode: 'eval' | 'train'): Promise<Float32Array> {
  if (mode === 'eval') model.eval();
  else model.train();
  const x = tf.fill([2, size, size, 3], NaN) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const y = tf.tidy(() => model.forward(x) as tf.Tensor);
  const out = (await y.data()) as Float32Array;
  y.dispose();
  if (mode === 'train' && tf.memory().numTensors !== before) throw new Error(`logitsForNaNInput: ${tf.memory().numTensors - before} tensors left by a train-mode forward`);
  x.dispose();
  return out;
}
