/**
 * The one loader under classification, detection and segmentation. Micro-batch b of epoch e holds
 * the samples at positions b·B .. b·B + B − 1 of the rule's order for e, each transformed with
 * the rule's generator for (e, position, index); micro-batch m of the run is batch m mod
 * batchesPerEpoch of epoch floor(m / batchesPerEpoch), and optimiser step s takes the micro-batches
 * s·A .. s·A + A − 1 (A = accumulate). Every batch is therefore a pure function of (seed, m): a
 * resumed run loads the batches an uninterrupted one would, and the decode + transform can run in
 * worker threads (a slot carries its generator's state, and both sides build the batch with
 * `assembleBatch`), giving the same bytes as in-process.
 */
import type { DataPosition, StepSource } from '../engine/step-source.js';
import { assembleBatch, type BatchRecipe, type RecipeFactorySpec, type Slot } from './batch-recipe.js';
import type { SamplingRule } from './sampling.js';
import { WorkerPool } from './worker-pool.js';

export interface StepLoaderOptions {
  /** Starts every error (the user-facing loader's name). */
  name: string;
  batchSize: number;
  rule: SamplingRule;
  /** Leave out each epoch's last partial batch (default true: every step has batchSize samples). */
  dropLast?: boolean;
  /** Micro-batches per optimiser step (default 1). */
  accumulate?: number;
  /** Steps (or, through `epoch`, batches) loaded ahead of the consumer (default max(2, workers)). */
  prefetch?: number;
  /** Worker threads running decode + transform + collate; 0 (default) runs in-process. */
  workers?: number;
  /** Required when workers > 0: the module each worker imports to build the same recipe. */
  workerFactory?: RecipeFactorySpec;
}

function positiveInt(name: string, what: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name}: ${what} must be a positive integer, got ${v}`);
}

/** Loads `load(key)` for each key, at most `depth` ahead of the consumer; the iteration may stop early. */
async function* prefetched<K, V>(keys: K[], load: (k: K) => Promise<V>, depth: number): AsyncGenerator<{ key: K; value: V }> {
  const inFlight: { key: K; value: Promise<V> }[] = [];
  let next = 0;
  const start = (): void => {
    const key = keys[next++];
    const value = load(key);
    value.catch(() => undefined); // surfaced when awaited; an abandoned iteration must not warn
    inFlight.push({ key, value });
  };
  while (next < keys.length && inFlight.length < depth) start();
  while (inFlight.length > 0) {
    const head = inFlight.shift() as { key: K; value: Promise<V> };
    const value = await head.value;
    if (next < keys.length) start();
    yield { key: head.key, value };
  }
}

export class StepLoader<S, T, B> implements StepSource<B> {
  readonly name: string;
  readonly batchSize: number;
  readonly accumulate: number;
  readonly batchesPerEpoch: number;
  readonly workers: number;
  private readonly prefetch: number;
  private readonly rule: SamplingRule;
  private readonly dropLast: boolean;
  private readonly pool: WorkerPool | undefined;
  private orderCache: { epoch: number; order: Int32Array } | undefined;

  constructor(
    readonly recipe: BatchRecipe<S, T, B>,
    o: StepLoaderOptions,
  ) {
    const { name, batchSize } = o;
    const n = recipe.dataset.length;
    positiveInt(name, 'batchSize', batchSize);
    this.dropLast = o.dropLast ?? true;
    if (n === 0) throw new Error(`${name}: the dataset is empty`);
    if (this.dropLast && n < batchSize) throw new Error(`${name}: batchSize ${batchSize} exceeds the ${n} training images`);
    this.accumulate = o.accumulate ?? 1;
    positiveInt(name, 'accumulate', this.accumulate);
    this.workers = o.workers ?? 0;
    if (!Number.isInteger(this.workers) || this.workers < 0) throw new Error(`${name}: workers must be an integer >= 0, got ${this.workers}`);
    this.prefetch = o.prefetch ?? Math.max(2, this.workers);
    positiveInt(name, 'prefetch', this.prefetch);
    if (this.workers > 0) {
      if (!o.workerFactory) throw new Error(`${name}: workers > 0 needs options.workerFactory (a JS module the worker threads import to rebuild the dataset and transform; closures cannot cross threads)`);
      this.pool = new WorkerPool(name, this.workers, o.workerFactory, n);
    }
    this.name = name;
    this.batchSize = batchSize;
    this.rule = o.rule;
    const positions = o.rule.epochLength?.(n) ?? n;
    this.batchesPerEpoch = this.dropLast ? Math.floor(positions / batchSize) : Math.ceil(positions / batchSize);
  }

  /** Where micro-batch `index` (step · accumulate + micro) lies. */
  batchPosition(index: number): DataPosition {
    return { epoch: Math.floor(index / this.batchesPerEpoch), batchInEpoch: index % this.batchesPerEpoch };
  }

  /** Where optimiser step `step`'s first micro-batch lies, batchInEpoch counted in steps (the engine's StepSource). */
  position(step: number): DataPosition {
    const p = this.batchPosition(step * this.accumulate);
    return { epoch: p.epoch, batchInEpoch: Math.floor(p.batchInEpoch / this.accumulate) };
  }

  /** The dataset indices of `epoch` in training order. */
  order(epoch: number): Int32Array {
    if (this.orderCache?.epoch === epoch) return this.orderCache.order;
    const order = this.rule.order(this.recipe.dataset.length, epoch);
    this.orderCache = { epoch, order };
    return order;
  }

  /** The samples of batch `batch` of `epoch`, each with its generator's starting state. */
  slots(epoch: number, batch: number): Slot[] {
    const order = this.order(epoch);
    const first = batch * this.batchSize;
    const last = Math.min(first + this.batchSize, order.length);
    const slots: Slot[] = [];
    for (let p = first; p < last; p++) slots.push({ index: order[p], rngState: this.rule.sampleRng(epoch, p, order[p]).getState() });
    return slots;
  }

  /** Batch `batch` of `epoch`. */
  load(epoch: number, batch: number): Promise<B> {
    if (!(Number.isInteger(batch) && batch >= 0 && batch < this.batchesPerEpoch)) {
      return Promise.reject(new Error(`${this.name}: batch must be an integer in 0..${this.batchesPerEpoch - 1}, got ${batch}`));
    }
    const slots = this.slots(epoch, batch);
    return this.pool ? (this.pool.run(slots) as Promise<B>) : assembleBatch(this.recipe, slots);
  }

  /** Micro-batch `index` of the run (step · accumulate + micro). */
  batch(index: number): Promise<B> {
    if (!(Number.isInteger(index) && index >= 0)) return Promise.reject(new Error(`${this.name}.batch: index must be a non-negative integer, got ${index}`));
    const { epoch, batchInEpoch } = this.batchPosition(index);
    return this.load(epoch, batchInEpoch);
  }

  /** The micro-batches of optimiser steps from..to-1, `prefetch` steps loaded ahead. */
  async *steps(from: number, to: number): AsyncGenerator<{ step: number; batches: B[] }> {
    const A = this.accumulate;
    const keys = Array.from({ length: Math.max(0, to - from) }, (_, k) => from + k);
    const load = (step: number): Promise<B[]> => Promise.all(Array.from({ length: A }, (_, k) => this.batch(step * A + k)));
    for await (const { key, value } of prefetched(keys, load, this.prefetch)) yield { step: key, batches: value };
  }

  /** The batches of `epoch` from `startBatch` on, `prefetch` batches loaded ahead (epoch-based consumers). */
  async *epoch(epoch: number, startBatch = 0): AsyncGenerator<B> {
    const keys = Array.from({ length: Math.max(0, this.batchesPerEpoch - startBatch) }, (_, k) => startBatch + k);
    for await (const { value } of prefetched(keys, (b) => this.load(epoch, b), this.prefetch)) yield value;
  }

  /** Stops the worker threads (if any); safe to call more than once. */
  close(): Promise<void> {
    return this.pool ? this.pool.close() : Promise.resolve();
  }
}
