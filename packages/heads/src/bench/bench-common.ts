/**
 * What the whole-model benches share (detector, cascade and segmenter inference here, the
 * detection training step in tools/bench/det-train.js): options, medians, the reference run
 * (a Python script that reads a spec JSON and prints one JSON line per model, as
 * tools/bench_detector.py does), the backend loop and the machine fields of every record.
 * Each bench keeps only what it measures.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, type BackendChoice } from '@tfvision/nn';

/** Debian's python3, which has torch 1.13 and torchvision 0.14 (the `python3` on PATH may not). */
export const PYTHON = '/usr/bin/python3';

/** The value after `--name` in `argv`, or `fallback`. */
export function option(argv: readonly string[], name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
}

/** `--name` as a positive integer; otherwise one line naming the bench, the option and the value. */
export function positiveIntOption(argv: readonly string[], name: string, fallback: number, bench: string): number {
  const raw = option(argv, name, String(fallback));
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${bench}: --${name} must be a positive integer, got ${raw}`);
  return v;
}

/** `--name a,b` as a list (empty entries dropped). */
export function listOption(argv: readonly string[], name: string, fallback: readonly string[]): string[] {
  return option(argv, name, fallback.join(',')).split(',').filter(Boolean);
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median: values must not be empty');
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const round1 = (v: number): number => Math.round(v * 10) / 10;
export const round3 = (v: number): number => Math.round(v * 1000) / 1000;

/** A reference script's row: its model name, and `error` when that model failed there. */
export interface ReferenceRow {
  name: string;
  error?: string;
}

/** The JSON lines of a reference script's stdout, by model name (other lines are progress). */
export function parseReferenceLines<R extends ReferenceRow>(stdout: string): Map<string, R> {
  const out = new Map<string, R>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const row = JSON.parse(line) as R;
    out.set(row.name, row);
  }
  return out;
}

export interface ReferenceRun {
  /** The Python script (absolute path). */
  script: string;
  /** Written as JSON to a temporary spec.json, the script's one argument. */
  spec: unknown;
  /** Python statement that must succeed first, e.g. 'import torch, torchvision'. */
  probe: string;
  /** Extra environment for the script. */
  env?: Record<string, string>;
}

/**
 * Runs a reference script and returns its rows by model name, or one line saying why there are
 * none ('skipped: ...' when the interpreter or its modules are missing, 'failed: ...' with the
 * script's last stderr line otherwise).
 */
export function runReference<R extends ReferenceRow>(run: ReferenceRun): Map<string, R> | string {
  if (!existsSync(PYTHON)) return `skipped: ${PYTHON} not found`;
  if (spawnSync(PYTHON, ['-c', run.probe], { stdio: 'ignore' }).status !== 0) return `skipped: ${PYTHON} -c "${run.probe}" failed`;
  const dir = mkdtempSync(join(tmpdir(), 'tfvision-bench-'));
  try {
    const spec = join(dir, 'spec.json');
    writeFileSync(spec, JSON.stringify(run.spec));
    // Whole detectors on a shared 2-core machine take minutes; the output is a few lines.
    const r = spawnSync(PYTHON, [run.script, spec], { encoding: 'utf8', maxBuffer: 1 << 24, env: { ...process.env, ...run.env } });
    if (r.status !== 0) return `failed: ${(r.stderr || `exit code ${r.status}`).trim().split('\n').slice(-1)[0]}`;
    return parseReferenceLines<R>(r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * One model's reference row, or why there is none: the run's own reason, 'missing from <script>
 * output', or 'failed: <error>' when the script reported an error for that model.
 */
export function referenceFor<R extends ReferenceRow>(figures: Map<string, R> | string, name: string, script: string): R | string {
  if (typeof figures === 'string') return figures;
  const row = figures.get(name);
  if (row === undefined) return `missing from ${script} output`;
  return row.error !== undefined ? `failed: ${row.error}` : row;
}

/** ours / theirs (rates, so >= 1 means ours is at least as fast), rounded; undefined without a reference rate. */
export function rateRatio(ours: number, theirs: { imagesPerSecond?: number } | string): number | undefined {
  if (typeof theirs === 'string' || theirs.imagesPerSecond === undefined || !(theirs.imagesPerSecond > 0)) return undefined;
  return round3(ours / theirs.imagesPerSecond);
}

/**
 * The fields every record ends with. `loadBefore` is the 1-minute load average when our timing
 * started; the 1, 5 and 15-minute averages at the end follow it.
 */
export function machineFields(loadBefore?: number): { loadAverage: number[]; node: string; cpus: number; date: string } {
  const loads = loadBefore === undefined ? loadavg() : [loadBefore, ...loadavg()];
  return { loadAverage: loads.map((l) => Math.round(l * 100) / 100), node: process.version, cpus: cpus().length, date: new Date().toISOString() };
}

/** The backend fields of a record. */
export function backendFields(choice: BackendChoice): { backend: string; provider: string; native: string } {
  return { backend: choice.name, provider: choice.provider, native: choice.native?.detail ?? 'n/a' };
}

/**
 * Runs `body` once per backend that initialises; for one that does not, prints the bench's
 * `{bench, backend, unavailable}` line (run.js turns it into a note) and goes on.
 */
export async function forEachBackend(bench: string, backends: readonly string[], body: (choice: BackendChoice) => Promise<void>): Promise<void> {
  for (const backend of backends) {
    let choice: BackendChoice;
    try {
      choice = await initBackend({ backend, report: false });
    } catch (err) {
      console.log(JSON.stringify({ bench, backend, unavailable: (err as Error).message }));
      continue;
    }
    await body(choice);
  }
}
