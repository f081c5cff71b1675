import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from './schema.js';
import type { TrainConfig } from './types.js';
import { validateTrainConfig } from './validate.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isPlainObject(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge: objects merge key by key, anything else (arrays included) in `over` replaces `base`. */
export function deepMerge(base: Json, over: Json): Json {
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Record<string, Json> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? deepMerge(base[k], v) : v;
  return out;
}

function readJson(path: string, from?: string): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new ConfigError(`${path}: cannot read config (${why})${from ? `, extended by ${from}` : ''}`);
  }
  try {
    return JSON.parse(text) as Json;
  } catch (err) {
    throw new ConfigError(`${path}: invalid JSON: ${(err as Error).message}`);
  }
}

/** Reads a config and the chain it extends ("extends" is relative to the file that names it). */
export function resolveExtends(path: string, seen: string[] = []): Record<string, Json> {
  const abs = resolve(path);
  if (seen.includes(abs)) throw new ConfigError(`${abs}: "extends" cycle: ${[...seen, abs].join(' -> ')}`);
  const raw = readJson(abs, seen.at(-1));
  if (!isPlainObject(raw)) throw new ConfigError(`${abs}: expected a JSON object at the top level`);
  const { extends: parent, ...own } = raw;
  if (parent === undefined) return own;
  if (typeof parent !== 'string') throw new ConfigError(`${abs}: extends: expected a relative path string, got ${JSON.stringify(parent)}`);
  const base = resolveExtends(resolve(dirname(abs), parent), [...seen, abs]);
  return deepMerge(base, own) as Record<string, Json>;
}

/**
 * Reads a config and the chain it extends, merges `overrides` (e.g. CLI flags) last and
 * validates the result with `validate`, which names `path` in its errors.
 */
/** The file each validated config came from, so errors found later (building the run) still name it. */
const SOURCES = new WeakMap<object, string>();

/** Records that `c` was validated from `source` (a validator calls it last). */
export function rememberConfigSource<C extends object>(c: C, source: string): C {
  SOURCES.set(c, source);
  return c;
}

/** The file `c` was loaded from ('config' when it was built in code). */
export function configSource(c: object): string {
  return SOURCES.get(c) ?? 'config';
}

export function loadConfigWith<C>(path: string, overrides: Record<string, unknown>, validate: (raw: unknown, source: string) => C): C {
  return validate(deepMerge(resolveExtends(path), overrides as Json), path);
}

/** Loads, merges and validates a training config; `overrides` (e.g. CLI flags) are merged last. */
export function loadTrainConfig(path: string, overrides: Record<string, unknown> = {}): TrainConfig {
  return loadConfigWith(path, overrides, validateTrainConfig);
}

/**
 * A stable hash (keys sorted, 16 hex digits of SHA-256) of the part of a config that defines
 * the optimisation, stored in checkpoints so --resume refuses a different run.
 */
export function definingHash(defining: unknown): string {
  const canon = (v: unknown): unknown =>
    isPlainObject(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])])) : Array.isArray(v) ? v.map(canon) : v;
  return createHash('sha256').update(JSON.stringify(canon(defining))).digest('hex').slice(0, 16);
}

/**
 * configHash of a classification config. Where the data lives, how it is loaded, and how often
 * the run logs, evaluates and saves may change between sessions, so they are left out.
 */
export function configHash(config: TrainConfig): string {
  const { root: _root, workers: _w, prefetch: _p, ...data } = config.data;
  return definingHash({ ...config, data, eval: undefined, checkpoint: undefined, log: undefined });
}
