import * as tf from '@tensorflow/tfjs-core';
import { Layer } from '../module.js';

/** Activations by the names timm uses in configs. */
export type ActivationName = 'relu' | 'relu6' | 'silu' | 'swish' | 'sigmoid' | 'hard_sigmoid' | 'hard_swish' | 'tanh' | 'gelu' | 'identity';

/** PyTorch's hardsigmoid: relu6(x + 3) / 6. */
export function hardSigmoid(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.div(tf.relu6(tf.add(x, 3)), 6));
}

export function hardSwish(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, hardSigmoid(x)));
}

export function silu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
}

/** Exact (erf) GELU as PyTorch's default. */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
}

export function activationFn(name: ActivationName): (x: tf.Tensor) => tf.Tensor {
  switch (name) {
    case 'relu':
      return (x) => tf.relu(x);
    case 'relu6':
      return (x) => tf.relu6(x);
    case 'silu':
    case 'swish':
      return silu;
    case 'sigmoid':
      return (x) => tf.sigmoid(x);
    case 'hard_sigmoid':
      return hardSigmoid;
    case 'hard_swish':
      return hardSwish;
    case 'tanh':
      return (x) => tf.tanh(x);
    case 'gelu':
      return gelu;
    case 'identity':
      return (x) => x;
    default: {
      const bad: never = name;
      throw new Error(`unknown activation "${String(bad)}"`);
    }
  }
}

/** An activation as a layer (holds no parameters). */
export class Activation extends Layer {
  private readonly fn: (x: tf.Tensor) => tf.Tensor;
  constructor(readonly kind: ActivationName) {
    super();
    this.fn = activationFn(kind);
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.fn(x);
  }
}

export class ReLU extends Activation {
  constructor() {
    super('relu');
  }
}

export class SiLU extends Activation {
  constructor() {
    super('silu');
  }
}

export class Sigmoid extends Activation {
  constructor() {
    super('sigmoid');
  }
}
