import * as tf from '@tensorflow/tfjs-core';
import { isRecomputing } from '../checkpoint.js';
import { Layer } from '../module.js';

export interface DropBlockOptions {
  /** Drop probability; settable later with `rate` (the trainer ramps it 0 → 0.1). */
  rate?: number;
  blockSize?: number;
  /** timm's gamma_scale (1 in the ResNeSt recipe). */
  gammaScale?: number;
  seed?: number;
}

/**
 * DropBlock (Ghiasi et al., 2018): drops contiguous blockSize x blockSize regions. Seeds are
 * drawn with probability gamma = rate * H*W / (bs² * (H-bs+1)(W-bs+1)) inside the valid region,
 * grown to blocks by a max pool, and the kept activations are rescaled by numel / kept so the
 * expectation is unchanged. One mask per batch call (per sample and channel); identity in eval
 * or at rate 0.
 */
export class DropBlock extends Layer<tf.Tensor4D, tf.Tensor4D> {
  rate: number;
  readonly blockSize: number;
  readonly gammaScale: number;
  private calls = 0;

  constructor(private readonly o: DropBlockOptions = {}) {
    super();
    this.rate = o.rate ?? 0;
    this.blockSize = o.blockSize ?? 3;
    this.gammaScale = o.gammaScale ?? 1;
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    if (!this.training || this.rate <= 0) return x;
    return tf.tidy(() => {
      const [n, h, w, c] = x.shape;
      const bs = Math.min(this.blockSize, h, w);
      const gamma = (this.gammaScale * this.rate * h * w) / (bs * bs) / ((h - bs + 1) * (w - bs + 1));
      // A checkpointed block runs forward twice for one step; the second run must reuse the
      // first run's seed (each DropBlock is called once per block forward).
      const seed = this.o.seed === undefined ? undefined : this.o.seed + (isRecomputing() ? this.calls - 1 : this.calls++);
      // Seeds only where a whole block fits (timm's valid-region rule).
      const seeds = tf.cast(tf.less(tf.randomUniform([n, h - bs + 1, w - bs + 1, c], 0, 1, 'float32', seed), gamma), 'float32');
      const before = Math.floor((bs - 1) / 2);
      const padded = tf.pad(seeds, [[0, 0], [before, bs - 1 - before], [before, bs - 1 - before], [0, 0]]);
      // A max pool with stride 1 turns each seed into a bs x bs block.
      const block = tf.maxPool(tf.pad(padded, [[0, 0], [bs - 1 - before, before], [bs - 1 - before, before], [0, 0]]) as tf.Tensor4D, bs, 1, 'valid');
      const keep = tf.sub(1, block);
      const scale = tf.div(keep.size, tf.maximum(tf.sum(keep), 1));
      return tf.mul(tf.mul(x, keep), scale) as tf.Tensor4D;
    });
  }
}
