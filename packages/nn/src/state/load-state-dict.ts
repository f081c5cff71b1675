import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '../module.js';
import { isFloatDtype, type HostTensor, type StoredDtype, type TensorMap } from './host-tensor.js';
import { fromTorchLayout, layoutMismatch, torchLayoutFor, torchShapeOf, type TorchLayout } from './torch-layout.js';
import { toTfValues } from './tf-convert.js';
import { readSafetensors } from './safetensors-file.js';

export interface LoadStateDictOptions {
  /** Default true: any missing, unexpected or mismatched key throws and nothing is assigned. */
  strict?: boolean;
  /** Names the checkpoint in errors (a file name). */
  source?: string;
  /** Maps a checkpoint key to our parameter name; null drops the key (it is then not "unexpected"). */
  rename?: (key: string) => string | null;
  /** Layout of our parameter `name`; default by its rank (torchLayoutFor). */
  layoutFor?: (name: string, ourShape: readonly number[]) => TorchLayout;
  /**
   * Buffers a checkpoint may omit (they keep their value and are listed in `defaulted`). Default:
   * BatchNorm's `num_batches_tracked`, which PyTorch itself fills in for old checkpoints.
   */
  optionalBuffer?: (name: string) => boolean;
  /**
   * Parameters or buffers that keep their current value when the checkpoint lacks them (listed
   * in `defaulted`), e.g. a freshly initialised classifier when fine-tuning to new classes.
   */
  keepIfAbsent?: (name: string) => boolean;
}

export interface StateDictMismatch {
  name: string;
  /** The shape the checkpoint should have (PyTorch layout). */
  expected: number[];
  /** The shape it has. */
  got: number[];
  /** One line explaining the mismatch (shape or dtype). */
  reason: string;
}

export interface LoadStateDictResult {
  /** Our parameters and buffers the checkpoint does not have. */
  missing: string[];
  /** Checkpoint keys (after rename) that are none of ours. */
  unexpected: string[];
  mismatched: StateDictMismatch[];
  /** Optional buffers absent from the checkpoint, left at their current value. */
  defaulted: string[];
  /** Names that were assigned. */
  loaded: string[];
}

const LIST_LIMIT = 20;

function listNames(names: string[]): string {
  const shown = names.slice(0, LIST_LIMIT).join(', ');
  return names.length > LIST_LIMIT ? `${shown}, ... ${names.length - LIST_LIMIT} more` : shown;
}

function isNumBatchesTracked(name: string): boolean {
  return name === 'num_batches_tracked' || name.endsWith('.num_batches_tracked');
}

function acceptsDtype(target: tf.DataType, stored: StoredDtype): boolean {
  if (target === 'float32') return isFloatDtype(stored);
  if (target === 'int32') return !isFloatDtype(stored) && stored !== 'BOOL';
  if (target === 'bool') return stored === 'BOOL' || stored === 'U8';
  return false;
}

/** Applies `rename` to every checkpoint key; two keys landing on one name is an error, not a silent overwrite. */
function renamed(tensors: TensorMap | Record<string, HostTensor>, rename: ((key: string) => string | null) | undefined, source: string): Map<string, [string, HostTensor]> {
  const out = new Map<string, [string, HostTensor]>();
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  for (const [key, t] of entries) {
    const name = rename ? rename(key) : key;
    if (name === null) continue;
    const prior = out.get(name);
    if (prior) throw new Error(`${source}: keys "${prior[0]}" and "${key}" both map to "${name}"`);
    out.set(name, [key, t]);
  }
  return out;
}

/**
 * Assigns a PyTorch-layout state dict (from readSafetensors, or any TensorMap) to every
 * parameter and buffer of `module`, converting layouts (OIHW → HWIO, [out, in] → [in, out])
 * and dtypes (F16/BF16/F64 → float32, I64 → int32). Strict (the default) checks everything
 * first and throws one error listing every problem without assigning anything; non-strict
 * assigns what matches and reports the rest. Temporary tensors are disposed.
 */
export function loadStateDict(module: Module, tensors: TensorMap | Record<string, HostTensor>, options: LoadStateDictOptions = {}): LoadStateDictResult {
  const strict = options.strict ?? true;
  const source = options.source ?? 'checkpoint';
  const layoutFor = options.layoutFor ?? ((_name: string, shape: readonly number[]) => torchLayoutFor(shape));
  const optional = options.optionalBuffer ?? isNumBatchesTracked;
  const available = renamed(tensors, options.rename, source);
  const buffers = new Set(module.namedBuffers().map(([n]) => n));
  const ours = module.stateDict();
  const result: LoadStateDictResult = { missing: [], unexpected: [], mismatched: [], defaulted: [], loaded: [] };
  const plan: [string, tf.Variable, HostTensor, TorchLayout][] = [];

  for (const [name, variable] of ours) {
    const found = available.get(name);
    if (!found) {
      if ((buffers.has(name) && optional(name)) || options.keepIfAbsent?.(name)) result.defaulted.push(name);
      else result.missing.push(name);
      continue;
    }
    const t = found[1];
    const layout = layoutFor(name, variable.shape);
    const expected = torchShapeOf(variable.shape, layout);
    const shapeWhy = layoutMismatch(name, t.shape, variable.shape, layout);
    if (shapeWhy) {
      result.mismatched.push({ name, expected, got: [...t.shape], reason: shapeWhy });
    } else if (!acceptsDtype(variable.dtype, t.dtype)) {
      result.mismatched.push({ name, expected, got: [...t.shape], reason: `${name}: dtype ${t.dtype} cannot load into a ${variable.dtype} ${buffers.has(name) ? 'buffer' : 'parameter'}` });
    } else {
      plan.push([name, variable, t, layout]);
    }
  }
  for (const name of available.keys()) if (!ours.has(name)) result.unexpected.push(name);

  if (strict && (result.missing.length > 0 || result.unexpected.length > 0 || result.mismatched.length > 0)) {
    const parts: string[] = [];
    if (result.missing.length > 0) parts.push(`${result.missing.length} missing [${listNames(result.missing)}]`);
    if (result.unexpected.length > 0) parts.push(`${result.unexpected.length} unexpected [${listNames(result.unexpected)}]`);
    if (result.mismatched.length > 0) parts.push(`${result.mismatched.length} mismatched [${listNames(result.mismatched.map((m) => m.reason))}]`);
    throw new Error(`${source}: state dict does not match ${module.constructor.name} (strict load, nothing assigned): ${parts.join('; ')}`);
  }

  for (const [name, variable, t, layout] of plan) {
    const converted = fromTorchLayout(name, t.shape, t.data, variable.shape, layout);
    // A view on the checkpoint's buffer would become the variable's storage on the CPU backend
    // and pin the whole file in memory; give each variable its own array instead.
    const owned = converted.byteLength === converted.buffer.byteLength ? converted : converted.slice();
    const values = toTfValues(owned, variable.dtype as 'float32' | 'int32' | 'bool');
    const value = tf.tensor(values, variable.shape, variable.dtype);
    variable.assign(value);
    value.dispose();
    result.loaded.push(name);
  }
  return result;
}

/** Reads a safetensors checkpoint and loads it into `module` (errors name `path`). */
export function loadStateDictFile(module: Module, path: string, options: Omit<LoadStateDictOptions, 'source'> = {}): LoadStateDictResult {
  const { tensors } = readSafetensors(path);
  return loadStateDict(module, tensors, { ...options, source: path });
}
