/**
 * What every data kind gives the step loader: an indexed dataset, a per-sample transform whose
 * only randomness is the generator it is handed, and a collate that turns the transformed
 * samples into one batch. `assembleBatch` is the single place a batch is built, run both in the
 * main thread and in worker threads, so the two give the same bytes.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Transform } from '@tfvision/coco';
import { Rng } from '../rng.js';

/** Samples by index; `get` may decode (sharp runs on libuv threads, so reads overlap). */
export interface IndexedDataset<S> {
  readonly length: number;
  get(i: number): Promise<S>;
}

export interface BatchRecipe<S, T, B> {
  dataset: IndexedDataset<S>;
  /** From a dataset sample to a batch item; all randomness comes from the slot's `rng`. */
  transform: Transform<S, T, Rng>;
  /** Builds the batch from the transformed samples, in slot order; `indices` are their dataset indices. */
  collate(items: T[], indices: Int32Array): B;
  /**
   * Buffers of `batch` made fresh by collate, moved rather than copied from a worker thread.
   * Leave out anything the dataset may still hold (a cache): a moved buffer is emptied.
   */
  transfer?(batch: B): ArrayBuffer[];
}

/** One sample of a batch: its dataset index and the state of its generator before any draw. */
export interface Slot {
  index: number;
  rngState: number[];
}

/** Names an ES module export `(args) => BatchRecipe` that each worker thread calls once at start. */
export interface RecipeFactorySpec {
  /** Absolute path or file: URL of a JavaScript ES module (worker threads cannot load .ts). */
  module: string;
  exportName: string;
  /** Structured-clonable argument for the factory (paths, transform options). */
  args?: unknown;
}

export type RecipeFactory = (args: unknown) => BatchRecipe<unknown, unknown, unknown> | Promise<BatchRecipe<unknown, unknown, unknown>>;

/** Imports `spec.module` and returns its export `spec.exportName`, which must be a function. */
export async function importFactory<F>(spec: { module: string; exportName: string }): Promise<F> {
  const url = isAbsolute(spec.module) ? pathToFileURL(spec.module).href : spec.module;
  const mod = (await import(url)) as Record<string, unknown>;
  const factory = mod[spec.exportName];
  if (typeof factory !== 'function') throw new Error(`worker factory: ${spec.module} has no exported function '${spec.exportName}'`);
  return factory as F;
}

export function slotRng(slot: Slot): Rng {
  const rng = new Rng(0);
  rng.setState(slot.rngState);
  return rng;
}

export async function assembleBatch<S, T, B>(recipe: BatchRecipe<S, T, B>, slots: readonly Slot[]): Promise<B> {
  const items = await Promise.all(slots.map(async (s) => recipe.transform(await recipe.dataset.get(s.index), slotRng(s))));
  return recipe.collate(items, Int32Array.from(slots, (s) => s.index));
}
