import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy, type Module } from '@tfvision/nn';
import { Sgd, paramGroupsForModel } from '@tfvision/train';

/**
 * Kernels per training step and per inference forward, counted with `tf.profile` on whatever
 * backend is active (issue #20: the count tracks dispatch overhead without a GPU).
 *
 * tf.profile lists every kernel invocation, nested ones included: a composite kernel (one that
 * runs other kernels) and a customGrad scope appear after the kernels they ran. What a backend
 * actually executes are the leaves, so each entry is tagged with the engine's kernel depth when
 * it is recorded (its caller's depth), and an entry is a leaf unless one of its children (the
 * entries just before it, one level deeper) is a kernel other than Identity: under a gradient
 * tape every kernel clones the tensors its gradient needs (Identity) before it is recorded.
 * Reshape and Identity move no data on any backend (they re-reference the buffer), so
 * `dispatches` leaves them out; `leaves` keeps them.
 */
export interface KernelCount {
  /** Leaf kernels: what the backend runs. */
  leaves: number;
  /** Leaf kernels other than the zero-copy ones (Reshape, Identity). */
  dispatches: number;
  /** Every invocation tf.profile lists, composites and customGrad scopes included. */
  invocations: number;
  /** Leaf kernels by name, most frequent first. */
  byName: [string, number][];
}

const ZERO_COPY = new Set(['Reshape', 'Identity']);

interface EngineWithState {
  state: { kernelDepth: number; activeProfile: { kernels: { name: string }[] } };
}

/** Runs `f` under tf.profile and counts its kernels (see the module comment). */
export async function countKernels(f: () => Promise<void> | void): Promise<KernelCount> {
  const engine = tf.engine() as unknown as EngineWithState;
  const depths: number[] = [];
  const profile = await tf.profile(async () => {
    // profile() has just made a fresh list: record the depth of every entry pushed onto it.
    const list = engine.state.activeProfile.kernels;
    list.push = (...entries) => {
      for (let i = 0; i < entries.length; i++) depths.push(engine.state.kernelDepth);
      return Array.prototype.push.apply(list, entries);
    };
    await f();
  });
  const counts = new Map<string, number>();
  let leaves = 0;
  let dispatches = 0;
  const composite = (i: number): boolean => {
    for (let j = i - 1; j >= 0 && depths[j] > depths[i]; j--) if (depths[j] === depths[i] + 1 && profile.kernels[j].name !== 'Identity') return true;
    return false;
  };
  profile.kernels.forEach((k, i) => {
    if (composite(i)) return;
    leaves++;
    if (!ZERO_COPY.has(k.name)) dispatches++;
    counts.set(k.name, (counts.get(k.name) ?? 0) + 1);
  });
  const byName = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return { leaves, dispatches, invocations: profile.kernels.length, byName };
}

export interface StepKernelCounts {
  /** Eval-mode forward pass. */
  infer: KernelCount;
  /** One training step: forward (BN in training mode), loss, backward, SGD. */
  train: KernelCount;
  /** The SGD update alone, which `train` includes. */
  optimizer: KernelCount;
}

/**
 * Counts an inference forward and one training step of `model` at `batch` x `size` x `size`:
 * softmax cross-entropy, gradients of every trainable parameter, and tfvision's SGD (momentum
 * 0.9, weight decay 1e-4 on conv/linear weights: the recipe's optimizer, not tf.train's). A
 * warm-up step runs first so one-time work (weight packing, shader compiles) is not counted.
 */
export async function countStepKernels(model: Module & { forward(x: tf.Tensor4D): tf.Tensor }, batch: number, size: number): Promise<StepKernelCounts> {
  const x = tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const sgd = new Sgd(paramGroupsForModel(model, 1e-4), { momentum: 0.9 });
  const vars = sgd.params.map((p) => p.variable);
  let labels: Int32Array | undefined;
  const gradients = (): Map<string, tf.Tensor> => {
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.forward(x) as tf.Tensor2D;
      labels ??= Int32Array.from({ length: batch }, (_, i) => i % logits.shape[1]);
      return crossEntropy(logits, labels);
    }, vars);
    value.dispose();
    return new Map(sgd.params.map((p) => [p.name, grads[p.variable.name]]));
  };
  const trainStep = async (): Promise<void> => {
    const grads = gradients();
    sgd.step(grads, 0.01);
    tf.dispose([...grads.values()]);
    await vars[0].data();
  };
  const inferStep = async (): Promise<void> => {
    const y = tf.tidy(() => model.forward(x));
    await y.data();
    y.dispose();
  };
  try {
    model.train(false);
    await inferStep();
    const infer = await countKernels(inferStep);
    model.train(true);
    await trainStep();
    const train = await countKernels(trainStep);
    const grads = gradients();
    const optimizer = await countKernels(() => sgd.step(grads, 0.01));
    tf.dispose([...grads.values()]);
    return { infer, train, optimizer };
  } finally {
    model.train(false);
    x.dispose();
    sgd.dispose();
  }
}

/** Human-readable lines for `model bench --count-kernels`. */
export function formatKernelCounts(name: string, backend: string, batch: number, size: number, c: StepKernelCounts, top = 12): string {
  const line = (what: string, k: KernelCount) =>
    `${what}: ${k.dispatches} kernels (${k.leaves} with Reshape/Identity, ${k.invocations} tf.profile entries)\n  top: ${k.byName
      .slice(0, top)
      .map(([n, v]) => `${n} ${v}`)
      .join(', ')}`;
  return [`${name} ${backend} batch ${batch} @${size}`, line('inference forward', c.infer), line('training step', c.train), line('  of which SGD', c.optimizer)].join('\n');
}
