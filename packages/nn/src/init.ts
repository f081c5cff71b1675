import * as tf from '@tensorflow/tfjs-core';

/**
 * Initialisers, named as in torch.nn.init. Fan-in/fan-out follow PyTorch's definitions for a
 * HWIO conv filter [kh, kw, in/groups, out]: fan_in = kh*kw*in/groups, fan_out = kh*kw*out/groups
 * (PyTorch computes fan_out from the OIHW weight: out * kh * kw... of the grouped tensor, i.e.
 * out_channels * kh * kw, which is what we return for groups=1; for grouped convs PyTorch's
 * fan_out is also out*kh*kw since the weight is [out, in/g, kh, kw]).
 */
export type FanMode = 'fanIn' | 'fanOut';

export function fans(shape: number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 4) {
    const [kh, kw, inPerGroup, out] = shape;
    return { fanIn: kh * kw * inPerGroup, fanOut: kh * kw * out };
  }
  if (shape.length === 2) {
    // Linear weights are stored [in, out].
    return { fanIn: shape[0], fanOut: shape[1] };
  }
  const n = shape.reduce((a, b) => a * b, 1);
  return { fanIn: n, fanOut: n };
}

let seedCounter = 0;
/** Deterministic seeds for successive initialisers after `setInitSeed` (tests, reproducible runs). */
let baseSeed: number | undefined;
export function setInitSeed(seed: number | undefined): void {
  baseSeed = seed;
  seedCounter = 0;
}
function nextSeed(): number | undefined {
  return baseSeed === undefined ? undefined : baseSeed + seedCounter++;
}

/** He/Kaiming normal with the ReLU gain sqrt(2): std = sqrt(2 / fan). */
export function kaimingNormal(shape: number[], mode: FanMode = 'fanOut'): tf.Tensor {
  const fan = fans(shape)[mode];
  return tf.randomNormal(shape, 0, Math.sqrt(2 / fan), 'float32', nextSeed());
}

/** Kaiming uniform with a = sqrt(5): PyTorch's default for Conv and Linear weights. */
export function kaimingUniformDefault(shape: number[]): tf.Tensor {
  const bound = 1 / Math.sqrt(fans(shape).fanIn);
  return tf.randomUniform(shape, -bound, bound, 'float32', nextSeed());
}

export function uniform(shape: number[], low: number, high: number): tf.Tensor {
  return tf.randomUniform(shape, low, high, 'float32', nextSeed());
}

export function normal(shape: number[], std: number, mean = 0): tf.Tensor {
  return tf.randomNormal(shape, mean, std, 'float32', nextSeed());
}

export function zeros(shape: number[]): tf.Tensor {
  return tf.zeros(shape);
}

export function ones(shape: number[]): tf.Tensor {
  return tf.ones(shape);
}
