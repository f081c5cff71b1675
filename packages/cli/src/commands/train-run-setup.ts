/**
 * What `train det` and `train seg` do before they build a run, in one place: load the config
 * (with --data), check its data paths unless it generates them, check --backend and the run
 * directory (--resume / --overwrite), start the backend and write the synthetic data. Config
 * problems end as one UsageError line (exit 2) before any training starts.
 */
import { basename, join } from 'node:path';
import type { CocoDataConfig } from '@tfvision/train';
import { stringFlag, type ParsedArgs } from '../args.js';
import { checkBackendName } from '../checks.js';
import { UsageError } from '../command.js';
import { wasmThreadsFor } from '../wasm-threads.js';
import { checkRunDir, type RunDirMode, type RunPaths } from './train-run-dir.js';

/** Runs `f`, turning a ConfigError (a bad field, a missing data path or weights file) into a UsageError. */
export async function usageOnConfigError<T>(f: () => T | Promise<T>): Promise<T> {
  const { ConfigError } = await import('@tfvision/train');
  try {
    return await f();
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

export interface TrainRunSetupOptions<C> {
  /** 'train det' or 'train seg': the prefix of progress lines. */
  command: string;
  args: ParsedArgs;
  configPath: string;
  mode: RunDirMode;
  /** Merged over the config last (--data is added here). */
  overrides: Record<string, unknown>;
  load(path: string, overrides: Record<string, unknown>): C;
  runPaths(outDir: string): RunPaths;
}

export interface TrainRunSetup<C> {
  config: C;
  outDir: string;
  /** Files of an earlier run that --overwrite replaces; remove them once the new run is built. */
  stale: string[];
}

export async function setUpTrainRun<C extends { data: CocoDataConfig; model: { backbone: { name: string } } }>(o: TrainRunSetupOptions<C>): Promise<TrainRunSetup<C>> {
  const train = await import('@tfvision/train');
  const data = stringFlag(o.args, 'data');
  const overrides = data ? { ...o.overrides, data: { root: data } } : o.overrides;
  const config = await usageOnConfigError(() => o.load(o.configPath, overrides));
  if (!config.data.synth) await usageOnConfigError(() => train.checkDataPaths(config, o.configPath));
  const backend = stringFlag(o.args, 'backend');
  await checkBackendName(backend, o.command);
  const outDir = stringFlag(o.args, 'out') ?? join('runs', basename(o.configPath).replace(/\.json$/, ''));
  const stale = checkRunDir(outDir, o.runPaths(outDir), o.mode, train.latestCheckpoint);
  const { initBackend } = await import('@tfvision/nn');
  await initBackend({ backend, wasmThreads: wasmThreadsFor(config.model.backbone.name) });
  if (config.data.synth && (await train.ensureSynthData(config))) process.stderr.write(`${o.command}: generated the synthetic data under ${config.data.root}\n`);
  return { config, outDir, stale };
}
