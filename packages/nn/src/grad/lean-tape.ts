import * as tf from '@tensorflow/tfjs-core';

/**
 * Reverse-mode gradients as tfjs's engine computes them (the same tape, the same gradient
 * functions, the same order of accumulation, so bit-identical results), freeing memory as the
 * backward pass goes, as PyTorch's autograd does:
 *  - what the tape saved for a node is freed once the node's gradient is computed, and what it
 *    saved for nodes off every path from xs to y (a frozen stem, the targets' arithmetic) before
 *    the backward pass starts;
 *  - the gradient of an intermediate tensor is freed once its producer has used it.
 * tfjs's engine.gradients holds all of both until the backward pass ends, so a training step
 * peaked at about the forward's saved activations plus one gradient per intermediate: twice
 * what it needs. Higher-order use (called while another tape records) frees nothing early.
 */

interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
  saved?: tf.Tensor[];
}

interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T extends tf.TensorContainer>(nameOrFn: string, fn: () => T): T;
}

/** The nodes on a path from `xs` to `y`, each with only its inputs that depend on xs (tfjs's rule). */
function nodesFromXsToY(tape: readonly TapeNode[], xs: readonly tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromXs = new Set(xs.map((x) => x.id));
  const nodesFromXs = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => fromXs.has(t.id))) {
      nodesFromXs.add(node.id);
      for (const o of node.outputs) fromXs.add(o.id);
    }
  }
  const leadToY = new Set([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (node.outputs.some((o) => leadToY.has(o.id))) {
      nodesToY.add(node.id);
      for (const t of Object.values(node.inputs)) leadToY.add(t.id);
    }
  }
  return tape
    .filter((node) => nodesFromXs.has(node.id) && nodesToY.has(node.id))
    .map((node) => ({ ...node, inputs: Object.fromEntries(Object.entries(node.inputs).filter(([, t]) => fromXs.has(t.id))) }));
}

/** Gradients held by tensor id; one tensor may stand for several ids (a gradient passed through unchanged). */
class GradientMap {
  private readonly byId = new Map<number, tf.Tensor>();
  private readonly uses = new Map<tf.Tensor, number>();

  constructor(private readonly protectedTensor: tf.Tensor | undefined) {}

  get(id: number): tf.Tensor | undefined {
    return this.byId.get(id);
  }

  set(id: number, t: tf.Tensor): void {
    this.byId.set(id, t);
    this.uses.set(t, (this.uses.get(t) ?? 0) + 1);
  }

  /** Forgets id's gradient; frees the tensor when no other id holds it. */
  release(id: number): void {
    const t = this.byId.get(id);
    if (t === undefined) return;
    this.byId.delete(id);
    const left = (this.uses.get(t) ?? 1) - 1;
    if (left > 0) {
      this.uses.set(t, left);
      return;
    }
    this.uses.delete(t);
    if (t !== this.protectedTensor) t.dispose();
  }
}

/**
 * engine.gradients(f, xs, dy, allowNoGradients) with early freeing: `value` is f's result,
 * `grads[i]` the gradient of value (seeded with dy, default ones) with respect to xs[i], or
 * undefined where xs[i] does not reach value.
 */
export function leanGradients<T extends tf.Tensor>(f: () => T, xs: readonly tf.Tensor[], dy?: tf.Tensor, allowNoGradients = false): { value: T; grads: (tf.Tensor | undefined)[] } {
  if (xs.length === 0) throw new Error('leanGradients: xs is empty; pass the tensors to differentiate with respect to');
  if (dy !== undefined && dy.dtype !== 'float32') throw new Error(`leanGradients: dy must be float32, got ${dy.dtype}`);
  const engine = tf.engine() as unknown as EngineInternals;
  const y = engine.scopedRun(() => engine.startTape(), () => engine.endTape(), () => engine.tidy('forward', f));
  if (!(y instanceof tf.Tensor)) throw new Error('leanGradients: f must return a tensor');
  const tape = engine.state.activeTape ?? [];
  const path = nodesFromXsToY(tape, xs, y);
  if (!allowNoGradients && path.length === 0) throw new Error('leanGradients: y does not depend on xs; f must enclose every op from xs to its result');
  const topLevel = engine.state.gradientDepth === 0;
  if (topLevel) {
    const onPath = new Set(path.map((n) => n.id));
    for (const node of tape) if (!onPath.has(node.id)) node.saved?.forEach((t) => t.dispose());
  }
  const xIds = new Set(xs.map((x) => x.id));
  return engine.tidy('backward', () => {
    const acc = new GradientMap(dy);
    acc.set(y.id, dy ?? tf.ones(y.shape));
    for (let i = path.length - 1; i >= 0; i--) {
      const node = path[i];
      const dys = node.outputs.map((o) => acc.get(o.id) ?? null);
      if (!node.gradient) throw new Error(`leanGradients: no gradient is registered for kernel ${node.kernelName}`);
      const inputGradients = node.gradient(dys);
      for (const [name, x] of Object.entries(node.inputs)) {
        const compute = inputGradients[name];
        if (compute === undefined) throw new Error(`leanGradients: the gradient of ${node.kernelName} gives none for its input ${name} (it gives ${Object.keys(inputGradients).join(', ')})`);
        const dx = engine.tidy('gradient', compute);
        if (dx.dtype !== 'float32') throw new Error(`leanGradients: the gradient of ${node.kernelName} for input ${name} is ${dx.dtype}, not float32`);
        if (!tf.util.arraysEqual(dx.shape, x.shape)) throw new Error(`leanGradients: the gradient of ${node.kernelName} for input ${name} has shape [${dx.shape}], the input [${x.shape}]`);
        const previous = acc.get(x.id);
        if (previous === undefined) {
          acc.set(x.id, dx);
        } else {
          const sum = tf.add(previous, dx);
          acc.release(x.id);
          acc.set(x.id, sum);
        }
      }
      if (topLevel) {
        for (const o of node.outputs) if (!xIds.has(o.id)) acc.release(o.id);
        node.saved?.forEach((t) => t.dispose());
      }
    }
    const grads = xs.map((x) => acc.get(x.id));
    if (topLevel) {
      for (const node of tape) node.saved?.forEach((t) => t.dispose());
      engine.state.activeTape = null;
    }
    return { value: y, grads };
  }) as { value: T; grads: (tf.Tensor | undefined)[] };
}

/**
 * tf.variableGrads(f, varList) on leanGradients: the gradients of the scalar f() with respect
 * to the trainable variables of varList (default: every registered variable), by variable
 * name; a variable f does not reach has no entry.
 */
export function leanVariableGrads(f: () => tf.Scalar, varList: readonly tf.Variable[]): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  const trainable = varList.filter((v) => v.trainable);
  if (trainable.length === 0) throw new Error(`leanVariableGrads: none of the ${varList.length} variables is trainable`);
  const { value, grads } = leanGradients(f, trainable, undefined, true);
  if (value.rank !== 0) {
    tf.dispose([value, ...grads.filter((g): g is tf.Tensor => g !== undefined)]);
    throw new Error(`leanVariableGrads: f must return a scalar, got shape [${value.shape}]`);
  }
  if (grads.every((g) => g === undefined)) {
    value.dispose();
    throw new Error('leanVariableGrads: f does not depend on any of the trainable variables');
  }
  const named: tf.NamedTensorMap = {};
  trainable.forEach((v, i) => {
    const g = grads[i];
    if (g !== undefined) named[v.name] = g;
  });
  return { value, grads: named };
}
