import * as tf from '@tensorflow/tfjs-core';
import { GroupNorm } from '../layers/group-norm.js';

/**
 * The cases of packages/nn/tools/reference/losses.py group-norm (fixture group-norm.json:
 * torch.nn.GroupNorm, stored NHWC) and our output and gradients for each. Gradients are of
 * sum(y · upstream) with torch's random upstream. Each case has torch's float32 result and
 * torch's float64 result on the same inputs.
 */
export interface GroupNormCase {
  name: string;
  /** NHWC. */
  shape: number[];
  numGroups: number;
  eps: number;
  affine: boolean;
  x: number[];
  upstream: number[];
  y: number[];
  gradX: number[];
  /** torch in float64 on the same (float32) inputs: the exact value to hold ours to. */
  yFloat64: number[];
  gradXFloat64: number[];
  weight?: number[];
  bias?: number[];
  gradWeight?: number[];
  gradBias?: number[];
  gradWeightFloat64?: number[];
  gradBiasFloat64?: number[];
}

export interface GroupNormFixture {
  generator: string;
  torch: string;
  groupNorm: GroupNormCase[];
}

export interface GroupNormResult {
  y: Float32Array;
  gradX: Float32Array;
  gradWeight?: Float32Array;
  gradBias?: Float32Array;
}

export function runGroupNormCase(c: GroupNormCase): GroupNormResult {
  const gn = new GroupNorm({ numGroups: c.numGroups, numChannels: c.shape[3], eps: c.eps, affine: c.affine });
  try {
    if (gn.weight && gn.bias && c.weight && c.bias) {
      gn.weight.assign(tf.tensor1d(c.weight));
      gn.bias.assign(tf.tensor1d(c.bias));
    }
    const x = tf.tensor4d(c.x, c.shape as [number, number, number, number]);
    const up = tf.tensor4d(c.upstream, c.shape as [number, number, number, number]);
    const params = gn.parameters();
    const y = gn.forward(x);
    const { value, grads } = tf.engine().gradients(() => tf.sum(tf.mul(gn.forward(x), up)), [x, ...params]);
    value.dispose();
    const [gx, ...gp] = grads;
    const out: GroupNormResult = { y: y.dataSync() as Float32Array, gradX: gx.dataSync() as Float32Array };
    if (gp.length === 2) {
      out.gradWeight = gp[0].dataSync() as Float32Array;
      out.gradBias = gp[1].dataSync() as Float32Array;
    }
    tf.dispose([x, up, y, gx, ...gp]);
    return out;
  } finally {
    gn.dispose();
  }
}

/** Largest |a_i − b_i|: how far torch's float32 result is from its float64 one. */
export function maxDeviation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
