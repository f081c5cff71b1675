/**
 * What `train cls` may do to an existing --out: a new run there would truncate log.jsonl and
 * leave the old run's checkpoints beside the new ones, so it refuses unless told to continue
 * (--resume) or to replace (--overwrite, which removes only the files a run writes).
 */
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../command.js';

/** The files and folders a training run writes under --out (trainerPaths in @tfvision/train). */
export interface RunPaths {
  checkpoints: string;
  log: string;
  plot: string;
}

export type RunDirMode = 'new' | 'resume' | 'overwrite';

function owned(paths: RunPaths): string[] {
  return [paths.log, paths.checkpoints, paths.plot].filter((p) => existsSync(p));
}

/**
 * Checks --out against the mode before any work: a new run refuses a folder holding a run,
 * --resume needs a checkpoint there. Returns the paths --overwrite would remove.
 */
export function checkRunDir(outDir: string, paths: RunPaths, mode: RunDirMode, latest: (checkpointsDir: string) => string | undefined): string[] {
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) throw new UsageError(`--out ${outDir} is a file, expected a run directory`);
  const existing = owned(paths);
  if (mode === 'new' && existing.length > 0) {
    const names = existing.map((p) => p.slice(outDir.length).replace(/^[\\/]/, '')).join(', ');
    throw new UsageError(`--out ${outDir} already holds a run (${names}); pass --resume to continue it or --overwrite to replace it`);
  }
  if (mode === 'resume' && latest(paths.checkpoints) === undefined) {
    throw new UsageError(`--resume: no checkpoint in ${paths.checkpoints} to resume from (start without --resume, or point --out at the run to continue)`);
  }
  return mode === 'overwrite' ? existing : [];
}

/** Removes the old run's files (log, checkpoints, curves); anything else in --out stays. */
export function removeRunFiles(paths: string[]): void {
  for (const p of paths) rmSync(p, { recursive: true, force: true });
}

/**
 * --resume continues the same run: a checkpoint of a different length or config would give a
 * schedule that is neither, so it is a usage error before training starts.
 */
export function checkResumable(checkpoint: string, run: { totalSteps: number; configHash: string }): void {
  const file = join(checkpoint, 'trainer.json');
  const state = JSON.parse(readFileSync(file, 'utf8')) as { totalSteps?: unknown; configHash?: unknown };
  if (state.totalSteps !== run.totalSteps) {
    throw new UsageError(`--resume: ${checkpoint} is from a run of ${String(state.totalSteps)} steps, this one has ${run.totalSteps}; resume with the same --steps/--epochs (or start a new --out)`);
  }
  if (state.configHash !== run.configHash) {
    throw new UsageError(`--resume: ${checkpoint} was written with config hash ${String(state.configHash)}, this config hashes to ${run.configHash}; resume with the same config (or start a new --out)`);
  }
}
