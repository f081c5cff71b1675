/**
 * Source checkouts a reference script puts on its path (detectron2 and its pure-Python
 * dependencies, timm), found as tools/reference/cascade.py finds them: an environment variable
 * naming a folder that holds the package folder, with a default under /tmp. A bench checks them
 * before it starts, so a machine without them gets one line saying which is missing.
 */
import { join } from 'node:path';

export interface SourceCheckout {
  /** Environment variable naming the checkout's root. */
  env: string;
  /** The root when the variable is unset. */
  fallback: string;
  /** The package folder the root must hold. */
  folder: string;
}

/** What tools/bench_cascade.py needs: detectron2 as cascade.py runs it, and timm for resnest50d. */
export const DETECTRON2_SOURCES: readonly SourceCheckout[] = [
  { env: 'D2_SRC', fallback: '/tmp/d2src', folder: 'detectron2' },
  { env: 'FVCORE_SRC', fallback: '/tmp/fvcore_src', folder: 'fvcore' },
  { env: 'YACS_SRC', fallback: '/tmp/yacs_src', folder: 'yacs' },
  { env: 'IOPATH_SRC', fallback: '/tmp/iopath_src', folder: 'iopath' },
  { env: 'TIMM_SRC', fallback: '/tmp/timm_src', folder: 'timm' },
];

/** Why the sources are not all there (the first missing one, in one line), or undefined when they are. */
export function missingSource(sources: readonly SourceCheckout[], env: Readonly<Record<string, string | undefined>>, exists: (path: string) => boolean): string | undefined {
  for (const s of sources) {
    const root = env[s.env] || s.fallback;
    if (!exists(join(root, s.folder))) return `${s.env}=${root} has no ${s.folder}/ folder (git archive the fetched repository there)`;
  }
  return undefined;
}
