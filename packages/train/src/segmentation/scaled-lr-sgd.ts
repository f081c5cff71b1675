/**
 * SGD with a learning-rate multiplier per parameter (torchvision's segmentation reference puts
 * the auxiliary classifier in its own group at 10x the rate) on top of the one-rate Sgd: with
 * dampening 0 the update is linear in (gradient + weight decay · w), so scaling a parameter's
 * gradient and its weight decay by s gives exactly the update of rate s · lr (the momentum buffer
 * holds s times torch's, which only this class reads back).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Sgd, type ParamEntry, type SgdOptions } from '../optim/index.js';

export class ScaledLrSgd extends Sgd {
  readonly lrScale: ReadonlyMap<string, number>;

  constructor(params: ParamEntry[], o: SgdOptions, lrScale: ReadonlyMap<string, number> = new Map()) {
    const names = new Set(params.map((p) => p.name));
    for (const [name, s] of lrScale) {
      if (!names.has(name)) throw new Error(`ScaledLrSgd: lrScale names "${name}", which is not a parameter`);
      if (!(s > 0 && Number.isFinite(s))) throw new Error(`ScaledLrSgd: lrScale of "${name}" must be a finite number > 0, got ${s}`);
    }
    super(params.map((p) => (lrScale.has(p.name) ? { ...p, weightDecay: p.weightDecay * (lrScale.get(p.name) as number) } : p)), o);
    this.lrScale = lrScale;
  }

  override step(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    if (this.lrScale.size === 0) return super.step(grads, lr);
    const scaled = new Map(grads);
    const made: tf.Tensor[] = [];
    for (const [name, s] of this.lrScale) {
      const g = grads.get(name);
      if (!g) continue; // Sgd.step names the missing gradient
      const t = tf.mul(g, s);
      made.push(t);
      scaled.set(name, t);
    }
    try {
      super.step(scaled, lr);
    } finally {
      tf.dispose(made);
    }
  }
}
