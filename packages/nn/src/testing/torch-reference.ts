import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

/**
 * Test support for comparing against PyTorch: committed fixtures written by the generators in
 * packages/nn/tools/reference/, regeneration by slow tests when Debian's torch is present, and
 * an elementwise closeness report. No jest here, so it type-checks with the package build.
 */

/** Debian's interpreter, which has torch 1.13 and torchvision 0.14 (the `python3` on PATH may not). */
export const REFERENCE_PYTHON = '/usr/bin/python3';

/** Whether the reference interpreter can import torchvision (and so torch). */
export function referenceTorchAvailable(): boolean {
  return spawnSync(REFERENCE_PYTHON, ['-c', 'import torchvision'], { stdio: 'ignore' }).status === 0;
}

export function readJsonFixture<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Runs the generator at `script` with `args... OUT.json` in a temporary directory and returns the parsed output. */
export function regenerateFixture<T>(script: string, args: readonly string[]): T {
  const dir = mkdtempSync(join(tmpdir(), 'tfvision-reference-'));
  try {
    const out = join(dir, 'out.json');
    const r = spawnSync(REFERENCE_PYTHON, [script, ...args, out], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${basename(script)} ${args.join(' ')} failed (exit ${r.status}): ${r.stderr}`);
    return readJsonFixture<T>(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Tolerance {
  /** Allowed |a − e| beyond the relative part; default 1e-6. */
  atol?: number;
  /** Allowed |a − e| / |e|; default 1e-5 (float32 after a few roundings). */
  rtol?: number;
}

/**
 * Null when every |actual_i − expected_i| <= atol + rtol · |expected_i| (NaN matches NaN), else
 * one line naming the worst element.
 */
export function mismatch(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance = {}): string | null {
  if (actual.length !== expected.length) return `length ${actual.length}, expected ${expected.length}`;
  const atol = tol.atol ?? 1e-6;
  const rtol = tol.rtol ?? 1e-5;
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(a) && Number.isNaN(e)) continue;
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  return worst < 0 ? null : `element ${worst}: got ${actual[worst]}, expected ${expected[worst]} (atol ${atol}, rtol ${rtol})`;
}
