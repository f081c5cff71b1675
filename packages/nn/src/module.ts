import * as tf from '@tensorflow/tfjs-core';
import { checkpoint } from './checkpoint.js';
import './gradients.js';

/**
 * A PyTorch-style module tree on tfjs-core. Parameters and buffers are `tf.Variable`s
 * registered under names, so `namedParameters()` yields dotted names such as
 * `layer1.0.conv2.weight` that map one-to-one onto timm/torchvision state dicts.
 * Parameters are trainable variables (frozen = `trainable` false); buffers (BatchNorm running
 * statistics) are never trainable and are updated in place with `assign`.
 */
export class Module {
  /** Training mode: BatchNorm uses batch statistics, Dropout/DropBlock are active. */
  training = true;
  private readonly params = new Map<string, tf.Variable>();
  private readonly buffers = new Map<string, tf.Variable>();
  private readonly children = new Map<string, Module>();

  protected registerParameter(name: string, value: tf.Tensor): tf.Variable {
    this.assertFreeName(name);
    const v = tf.variable(value, true, undefined, value.dtype);
    value.dispose();
    this.params.set(name, v);
    return v;
  }

  protected registerBuffer(name: string, value: tf.Tensor): tf.Variable {
    this.assertFreeName(name);
    const v = tf.variable(value, false, undefined, value.dtype);
    value.dispose();
    this.buffers.set(name, v);
    return v;
  }

  protected registerModule<M extends Module>(name: string, module: M): M {
    this.assertFreeName(name);
    this.children.set(name, module);
    return module;
  }

  private assertFreeName(name: string): void {
    if (name === '' || name.includes('.')) throw new Error(`${this.constructor.name}: invalid member name "${name}"`);
    if (this.params.has(name) || this.buffers.has(name) || this.children.has(name)) {
      throw new Error(`${this.constructor.name}: "${name}" is already registered`);
    }
  }

  /** Direct children in registration order. */
  namedChildren(): [string, Module][] {
    return [...this.children.entries()];
  }

  child(name: string): Module | undefined {
    return this.children.get(name);
  }

  /** Every module of the tree, depth first, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.children) out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  /** Parameters in PyTorch order: own ones first, then each child's, recursively. */
  namedParameters(prefix = ''): [string, tf.Variable][] {
    return this.collect(prefix, (m) => m.params);
  }

  namedBuffers(prefix = ''): [string, tf.Variable][] {
    return this.collect(prefix, (m) => m.buffers);
  }

  private collect(prefix: string, pick: (m: Module) => Map<string, tf.Variable>): [string, tf.Variable][] {
    const out: [string, tf.Variable][] = [];
    for (const [name, v] of pick(this)) out.push([prefix ? `${prefix}.${name}` : name, v]);
    for (const [name, child] of this.children) out.push(...child.collect(prefix ? `${prefix}.${name}` : name, pick));
    return out;
  }

  parameters(): tf.Variable[] {
    return this.namedParameters().map(([, v]) => v);
  }

  trainableParameters(): tf.Variable[] {
    return this.parameters().filter((v) => v.trainable);
  }

  /** Parameters and buffers together, keyed by dotted name (a live view, not copies). */
  stateDict(): Map<string, tf.Variable> {
    return new Map([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /** Number of scalar parameters (trainable only by default, as timm/torchvision count). */
  numParameters(trainableOnly = false): number {
    return this.parameters()
      .filter((v) => !trainableOnly || v.trainable)
      .reduce((n, v) => n + v.size, 0);
  }

  /**
   * Training mode (BatchNorm uses batch statistics, dropout is on) or not. Switching to
   * training also drops inference caches (Conv2d's BatchNorm-folded weights), so a train/eval
   * cycle leaves no tensors behind.
   */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) {
      m.training = mode;
      if (mode) m.releaseInferenceCache();
    }
    return this;
  }

  /** Frees tensors this module keeps only to speed up inference; the default keeps none. */
  releaseInferenceCache(): void {}

  eval(): this {
    return this.train(false);
  }

  /** Stops gradient updates to every parameter of this subtree. */
  freeze(): this {
    for (const v of this.parameters()) v.trainable = false;
    return this;
  }

  unfreeze(): this {
    for (const v of this.parameters()) v.trainable = true;
    return this;
  }

  /** Frees every parameter, buffer and inference cache of this subtree. */
  dispose(): void {
    for (const [, m] of this.namedModules()) m.releaseInferenceCache();
    for (const v of this.parameters()) v.dispose();
    for (const [, v] of this.namedBuffers()) v.dispose();
  }
}

/**
 * What a module's forward takes and returns: a tensor, or arrays and records of them nested
 * to any depth (an FPN's `{ p2, ..., p6 }`, an RPN head's per-level lists). It is a subset of
 * tf.TensorContainer, so tf.tidy can return one and tf.dispose can free one. Declare record
 * shapes with `type` rather than `interface`: an interface has no index signature, so it is
 * not assignable to the record member.
 */
export type TensorTree = tf.Tensor | TensorTree[] | { [key: string]: TensorTree };

/**
 * A module with a forward pass. The defaults, one tensor in and one out, are what backbones,
 * Sequential and checkpointing use; necks and heads give records or arrays of tensors
 * (`Layer<Record<string, tf.Tensor4D>, tf.Tensor4D[]>`), and keep named parameters and state
 * dicts the same way, since those come from the module tree, not from forward.
 */
export abstract class Layer<I extends TensorTree = tf.Tensor, O extends TensorTree = tf.Tensor> extends Module {
  abstract forward(x: I): O;

  /** Runs `forward` (a hook point kept for symmetry with PyTorch's `__call__`). */
  apply(x: I): O {
    return this.forward(x);
  }
}

/** Layers applied in order; children are named "0", "1", ... as in nn.Sequential. */
export class Sequential extends Layer {
  readonly layers: Layer[];

  constructor(layers: Layer[] = []) {
    super();
    this.layers = [];
    for (const l of layers) this.append(l);
  }

  append(layer: Layer): this {
    this.registerModule(String(this.layers.length), layer);
    this.layers.push(layer);
    return this;
  }

  /**
   * Checkpoint each child (see checkpoint.ts): its intermediates are recomputed in the backward
   * pass instead of kept. Backbones set it on their stages (`setGradCheckpointing`).
   */
  checkpointLayers = false;

  forward(x: tf.Tensor): tf.Tensor {
    let y = x;
    for (const layer of this.layers) y = this.checkpointLayers ? checkpoint(layer, y) : layer.forward(y);
    return y;
  }
}

/** An ordered list of modules named "0", "1", ... (nn.ModuleList). */
export class ModuleList<M extends Module = Module> extends Module {
  readonly items: M[] = [];

  constructor(items: M[] = []) {
    super();
    for (const m of items) this.push(m);
  }

  push(m: M): this {
    this.registerModule(String(this.items.length), m);
    this.items.push(m);
    return this;
  }
}

/**
 * Modules under string keys, in insertion order (nn.ModuleDict): each is a child named by its
 * key, so parameters are `<dict>.<key>.<name>` as in PyTorch (detectron2's `fpn_lateral2`).
 * Keys follow member-name rules (non-empty, no '.'). Built from a record, integer-like keys
 * come first (JavaScript's property order); build from pairs to keep another order.
 */
export class ModuleDict<M extends Module = Module> extends Module {
  private readonly byKey = new Map<string, M>();

  constructor(entries: Iterable<readonly [string, M]> | Readonly<Record<string, M>> = []) {
    super();
    const pairs = Symbol.iterator in entries ? (entries as Iterable<readonly [string, M]>) : Object.entries(entries as Readonly<Record<string, M>>);
    for (const [key, m] of pairs) this.set(key, m);
  }

  /** Adds `m` under `key`; a key already present is an error (replacing would orphan the old module's variables). */
  set(key: string, m: M): this {
    this.registerModule(key, m);
    this.byKey.set(key, m);
    return this;
  }

  get(key: string): M {
    const m = this.byKey.get(key);
    if (m === undefined) throw new Error(`ModuleDict: no module under key "${key}" (keys: ${[...this.byKey.keys()].join(', ') || 'none'})`);
    return m;
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  get size(): number {
    return this.byKey.size;
  }

  keys(): string[] {
    return [...this.byKey.keys()];
  }

  values(): M[] {
    return [...this.byKey.values()];
  }

  entries(): [string, M][] {
    return [...this.byKey.entries()];
  }
}

/** Passes its input through; a named placeholder where timm uses nn.Identity. */
export class Identity extends Layer {
  forward(x: tf.Tensor): tf.Tensor {
    return x;
  }
}
