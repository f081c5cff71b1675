/**
 * A small declarative validator: enough to check a training config field by field with
 * errors that name the file, the dotted field path and the bad value, and to reject unknown
 * keys (a typo must never silently keep a default).
 */
export type Spec =
  | { kind: 'number'; min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean; oneOf?: readonly number[] }
  | { kind: 'boolean' }
  | { kind: 'string'; oneOf?: readonly string[] }
  | { kind: 'numbers'; length?: number; min?: number; integer?: boolean }
  | { kind: 'object'; fields: Record<string, Spec>; optional?: readonly string[]; open?: boolean }
  | { kind: 'anyObject' }
  | { kind: 'falseOr'; spec: Spec }
  | { kind: 'literalOr'; literal: string | number | boolean; spec: Spec };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The known key nearest to a misspelt one, when it is close enough to be a typo (case ignored). */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(key, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return bestDistance <= Math.max(1, Math.floor(key.length / 3)) ? best : undefined;
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}

/** Throws ConfigError `${source}: ${path}: ...` on the first problem. */
export function checkSpec(value: unknown, spec: Spec, path: string, source: string): void {
  const fail = (msg: string): never => {
    throw new ConfigError(`${source}: ${path || '(top level)'}: ${msg}`);
  };
  switch (spec.kind) {
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) fail(`expected a number, got ${show(value)}`);
      const n = value as number;
      if (spec.integer && !Number.isInteger(n)) fail(`expected an integer, got ${n}`);
      if (spec.oneOf && !spec.oneOf.includes(n)) fail(`expected one of ${spec.oneOf.join(', ')}, got ${n}`);
      if (spec.min !== undefined && (spec.exclusiveMin ? n <= spec.min : n < spec.min)) fail(`must be ${spec.exclusiveMin ? '>' : '>='} ${spec.min}, got ${n}`);
      if (spec.max !== undefined && n > spec.max) fail(`must be <= ${spec.max}, got ${n}`);
      return;
    }
    case 'boolean':
      if (typeof value !== 'boolean') fail(`expected true or false, got ${show(value)}`);
      return;
    case 'string':
      if (typeof value !== 'string') fail(`expected a string, got ${show(value)}`);
      if (spec.oneOf && !spec.oneOf.includes(value as string)) fail(`expected one of ${spec.oneOf.map((s) => `"${s}"`).join(', ')}, got ${show(value)}`);
      return;
    case 'numbers': {
      if (!Array.isArray(value) || value.some((x) => typeof x !== 'number' || !Number.isFinite(x))) fail(`expected an array of numbers, got ${show(value)}`);
      const a = value as number[];
      if (spec.length !== undefined && a.length !== spec.length) fail(`expected ${spec.length} numbers, got ${a.length}`);
      if (spec.integer && a.some((x) => !Number.isInteger(x))) fail(`expected integers, got ${show(a)}`);
      if (spec.min !== undefined && a.some((x) => x < spec.min!)) fail(`every number must be >= ${spec.min}, got ${show(a)}`);
      return;
    }
    case 'anyObject':
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`expected an object, got ${typeName(value)}`);
      return;
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`expected an object, got ${typeName(value)}`);
      const obj = value as Record<string, unknown>;
      if (!spec.open) {
        for (const key of Object.keys(obj)) {
          if (key in spec.fields) continue;
          const known = Object.keys(spec.fields);
          const near = closestKey(key, known);
          fail(`unknown key "${key}" (${near ? `did you mean "${near}"? ` : ''}known: ${known.join(', ')})`);
        }
      }
      for (const [key, sub] of Object.entries(spec.fields)) {
        const sub_path = path ? `${path}.${key}` : key;
        if (obj[key] === undefined) {
          if (spec.optional?.includes(key)) continue;
          throw new ConfigError(`${source}: ${sub_path}: required field is missing`);
        }
        checkSpec(obj[key], sub, sub_path, source);
      }
      return;
    }
    case 'falseOr':
      if (value === false) return;
      checkSpec(value, spec.spec, path, source);
      return;
    case 'literalOr':
      if (value === spec.literal) return;
      checkSpec(value, spec.spec, path, source);
      return;
  }
}
