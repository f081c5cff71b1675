import * as tf from '@tensorflow/tfjs-core';
import type { HostTensor } from '@tfvision/nn';
import type { ParamEntry } from './param-groups.js';
import { sgdMomentumUpdate } from './sgd-kernel.js';

export interface SgdOptions {
  momentum: number;
  nesterov?: boolean;
}

/**
 * SGD with momentum, PyTorch semantics (dampening 0): g ← g + wd·w, buf ← m·buf + g, then
 * w ← w − lr·(g + m·buf) with Nesterov or w ← w − lr·buf without. Buffers start at zero, which
 * equals PyTorch's "buf = g on the first step" when dampening is 0. The learning rate is passed
 * to each `step`, because the schedule changes it every iteration; a parameter's `lrMult` scales
 * it (torch: a param group's own lr). Each parameter's update is one kernel (sgd-kernel.ts),
 * bit-identical to the same rule written as tf ops.
 */
export class Sgd {
  readonly params: ParamEntry[];
  readonly momentum: number;
  readonly nesterov: boolean;
  private readonly buffers = new Map<string, tf.Variable>();

  constructor(params: ParamEntry[], o: SgdOptions) {
    if (!(o.momentum >= 0 && o.momentum < 1)) throw new Error(`Sgd: momentum must be in [0, 1), got ${o.momentum}`);
    if (o.nesterov && o.momentum === 0) throw new Error('Sgd: nesterov needs momentum > 0');
    this.params = params;
    this.momentum = o.momentum;
    this.nesterov = o.nesterov ?? false;
    const seen = new Set<string>();
    for (const p of params) {
      if (seen.has(p.name)) throw new Error(`Sgd: parameter "${p.name}" given twice`);
      seen.add(p.name);
      // Allocated up front so the tensor count is the same before and after every step.
      // (tidy frees the zeros the variable was made from; variables survive it.)
      if (this.momentum > 0) this.buffers.set(p.name, tf.tidy(() => tf.variable(tf.zerosLike(p.variable), false)));
    }
  }

  /** Applies one update; `grads` holds a gradient for every parameter by name (not disposed here). */
  step(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    const m = this.momentum;
    for (const p of this.params) {
      const g0 = grads.get(p.name);
      if (!g0) throw new Error(`Sgd.step: no gradient for "${p.name}"`);
      const buf = this.buffers.get(p.name);
      const next = sgdMomentumUpdate(p.variable, g0, buf, { lr: p.lrMult === undefined ? lr : lr * p.lrMult, momentum: m, weightDecay: p.weightDecay, nesterov: this.nesterov });
      p.variable.assign(next.param);
      next.param.dispose();
      if (buf && next.buf) {
        buf.assign(next.buf);
        next.buf.dispose();
      }
    }
  }

  /** Momentum buffers by parameter name, copied to host memory (for checkpoints). */
  async stateDict(): Promise<Map<string, HostTensor>> {
    const out = new Map<string, HostTensor>();
    for (const [name, buf] of this.buffers) {
      out.set(name, { dtype: 'F32', shape: [...buf.shape], data: Float32Array.from(await buf.data() as Float32Array) });
    }
    return out;
  }

  /** Restores momentum buffers; every buffer must be present with its shape (`source` names the file in errors). */
  loadStateDict(state: ReadonlyMap<string, HostTensor>, source = 'optimizer state'): void {
    const problems: string[] = [];
    for (const [name, buf] of this.buffers) {
      const t = state.get(name);
      if (!t) problems.push(`${name}: missing`);
      else if (t.shape.join('x') !== buf.shape.join('x')) problems.push(`${name}: shape [${t.shape}] but the parameter is [${buf.shape}]`);
    }
    for (const name of state.keys()) if (!this.buffers.has(name)) problems.push(`${name}: not a parameter of this model`);
    if (problems.length > 0) throw new Error(`${source}: momentum buffers do not match the model: ${problems.slice(0, 10).join('; ')}${problems.length > 10 ? `; ... ${problems.length - 10} more` : ''}`);
    for (const [name, buf] of this.buffers) {
      const t = state.get(name) as HostTensor;
      const value = tf.tensor(Float32Array.from(t.data as ArrayLike<number>), buf.shape, 'float32');
      buf.assign(value);
      value.dispose();
    }
  }

  dispose(): void {
    for (const buf of this.buffers.values()) buf.dispose();
    this.buffers.clear();
  }
}

/** The recipe's linear scaling rule: lr = baseLr (per 256 images) × batch / 256. */
export function scaledLearningRate(lrPer256: number, batchSize: number): number {
  return (lrPer256 * batchSize) / 256;
}
