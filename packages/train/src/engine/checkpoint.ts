/**
 * Atomic training checkpoints (detectron2's Checkpointer + PeriodicCheckpointer files): weights,
 * momentum buffers and the trainer state of one step in a directory that appears whole or not at all.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadStateDictFile, readSafetensors, saveStateDict, writeFileAtomic, writeSafetensors, type Module } from '@tfvision/nn';
import type { Sgd } from '../optim/index.js';

/** Where training stands: everything besides tensors that an exact resume needs. */
export interface TrainerState {
  /** Optimiser steps completed. */
  step: number;
  totalSteps: number;
  /** Epoch of the next micro-batch and its batch index within that epoch. */
  epoch: number;
  batchInEpoch: number;
  /** The trainer's own RNG (mixup lambdas), as Rng.getState(). */
  rngState: number[];
  /** Data order and augmentation derive from (dataSeed, epoch, sample index) alone. */
  dataSeed: number;
  configHash: string;
  /** The watched metric's best evaluation so far (null before the first one). */
  best: BestMetric | null;
  savedAt: string;
}

/** The best value of the metric a BestCheckpointHook watches, and the step it was reached at. */
export interface BestMetric {
  metric: string;
  value: number;
  step: number;
}

const MODEL_FILE = 'model.safetensors';
const OPTIMIZER_FILE = 'optimizer.safetensors';
const STATE_FILE = 'trainer.json';
const LATEST = 'latest.json';

export function checkpointName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

/**
 * Writes a checkpoint atomically: all three files go into a hidden temporary directory that is
 * renamed into place, then `latest.json` (itself written atomically) points at it. A crash at
 * any moment leaves `latest.json` naming a complete checkpoint. Older ones beyond `keep` go.
 */
export async function saveCheckpoint(dir: string, model: Module, optimizer: Sgd, state: TrainerState, keep: number): Promise<string> {
  const name = checkpointName(state.step);
  const finalDir = await writeCheckpointDir(dir, name, model, optimizer, state);
  writeFileAtomic(join(dir, LATEST), [new TextEncoder().encode(`${JSON.stringify({ checkpoint: name, step: state.step })}\n`)]);
  pruneCheckpoints(dir, keep);
  removeLeftoverTemporaries(dir);
  return finalDir;
}

/** The three files into a hidden temporary directory, renamed to dir/name (replacing one there). */
export async function writeCheckpointDir(dir: string, name: string, model: Module, optimizer: Sgd, state: TrainerState): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const finalDir = join(dir, name);
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  await saveStateDict(model, join(tmp, MODEL_FILE), { step: String(state.step) });
  writeSafetensors(join(tmp, OPTIMIZER_FILE), await optimizer.stateDict(), { kind: 'sgd-momentum-buffers', step: String(state.step) });
  writeFileAtomic(join(tmp, STATE_FILE), [new TextEncoder().encode(`${JSON.stringify(state, null, 2)}\n`)]);
  rmSync(finalDir, { recursive: true, force: true });
  renameSync(tmp, finalDir);
  return finalDir;
}

function listCheckpoints(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => /^step-\d{8}$/.test(n)).sort();
}

function pruneCheckpoints(dir: string, keep: number): void {
  const all = listCheckpoints(dir);
  for (const n of all.slice(0, Math.max(0, all.length - keep))) rmSync(join(dir, n), { recursive: true, force: true });
}

/** `.step-NNNNNNNN.PID.tmp` / `.best.PID.tmp` directories and writeFileAtomic's `.latest.json.PID.XXXX.tmp`. */
const TEMPORARY = /^\..+\.\d+(\.[a-z0-9]+)?\.tmp$/;

/**
 * A process killed while writing a checkpoint leaves its hidden temporary behind, as large as a
 * checkpoint, and nothing else would ever remove it. Called once this process's writes are done
 * (the hooks await each write), so every temporary left is such a leftover, whatever its process
 * id (ids are reused, e.g. by a container restarted with the same entry point).
 */
function removeLeftoverTemporaries(dir: string): void {
  for (const n of readdirSync(dir)) if (TEMPORARY.test(n)) rmSync(join(dir, n), { recursive: true, force: true });
}

/** The directory of the newest complete checkpoint, or undefined when there is none. */
export function latestCheckpoint(dir: string): string | undefined {
  const pointer = join(dir, LATEST);
  if (!existsSync(pointer)) return undefined;
  let parsed: { checkpoint?: unknown };
  try {
    parsed = JSON.parse(readFileSync(pointer, 'utf8')) as { checkpoint?: unknown };
  } catch (err) {
    throw new Error(`${pointer}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof parsed.checkpoint !== 'string' || !/^step-\d{8}$/.test(parsed.checkpoint)) throw new Error(`${pointer}: "checkpoint" must name a step-NNNNNNNN directory, got ${JSON.stringify(parsed.checkpoint)}`);
  const path = join(dir, parsed.checkpoint);
  if (!existsSync(join(path, STATE_FILE))) throw new Error(`${pointer} names ${path}, which has no ${STATE_FILE}`);
  return path;
}

function readState(path: string): TrainerState {
  const file = join(path, STATE_FILE);
  const s = JSON.parse(readFileSync(file, 'utf8')) as Partial<TrainerState>;
  for (const key of ['step', 'totalSteps', 'epoch', 'batchInEpoch', 'dataSeed'] as const) {
    if (typeof s[key] !== 'number') throw new Error(`${file}: ${key}: expected a number, got ${JSON.stringify(s[key])}`);
  }
  if (!Array.isArray(s.rngState)) throw new Error(`${file}: rngState: expected an array of numbers`);
  if (typeof s.configHash !== 'string') throw new Error(`${file}: configHash: expected a string`);
  const b = s.best;
  if (b !== null && (typeof b !== 'object' || typeof b.metric !== 'string' || typeof b.value !== 'number' || typeof b.step !== 'number')) throw new Error(`${file}: best: expected null or { metric, value, step }, got ${JSON.stringify(b)}`);
  return s as TrainerState;
}

/** Restores model weights (strict) and momentum buffers from `path`; returns the trainer state. */
export function loadCheckpoint(path: string, model: Module, optimizer: Sgd): TrainerState {
  const state = readState(path);
  loadStateDictFile(model, join(path, MODEL_FILE));
  const optPath = join(path, OPTIMIZER_FILE);
  optimizer.loadStateDict(readSafetensors(optPath).tensors, optPath);
  return state;
}
