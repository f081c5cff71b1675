/** A partial of a config: objects recursively optional, everything else replaced whole. */
export type ConfigOverrides<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object | undefined ? ConfigOverrides<NonNullable<T[K]>> : T[K] };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * `base` with `over` merged in: objects key by key, arrays and values replaced. A key the base
 * does not have is an error naming its path (a typo must not be ignored), except under
 * `openPaths` (e.g. `backbone.options`, whose keys the backbone builder validates itself).
 */
export function overrideConfig<T extends object>(base: T, over: ConfigOverrides<T>, where: string, openPaths: readonly string[] = [], path = ''): T {
  if (!isPlainObject(over)) throw new Error(`${where}: ${path || 'overrides'} must be an object, got ${JSON.stringify(over)}`);
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over)) {
    const p = path ? `${path}.${k}` : k;
    const b = (base as Record<string, unknown>)[k];
    if (!(k in base) && !openPaths.includes(path)) {
      throw new Error(`${where}: unknown config key "${p}" (known: ${Object.keys(base).join(', ')})`);
    }
    if (b === undefined && isPlainObject(v) && !openPaths.includes(path) && !openPaths.includes(p)) throw new Error(`${where}: "${p}" is not part of this model (it has no such component)`);
    out[k] = isPlainObject(b) && isPlainObject(v) ? overrideConfig(b, v as ConfigOverrides<typeof b>, where, openPaths, p) : v;
  }
  return out as T;
}
