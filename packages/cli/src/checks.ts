/**
 * Checks of command-line values made before any work starts (no data generated, no backend
 * started), each a UsageError (exit 2) that names the flag and the value.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './command.js';

/** A registered backbone name; an unknown one lists close matches (from the registry's error). */
export async function checkModelName(name: string, command: string): Promise<void> {
  const { getModelEntry } = await import('@tfvision/backbones');
  try {
    getModelEntry(name);
  } catch (err) {
    throw new UsageError(`${command}: ${(err as Error).message}`);
  }
}

/** An output file's folder must exist: writing there would otherwise fail after the work, naming a temp file. */
export function checkOutputFolder(path: string, flag: string, command: string): void {
  const folder = dirname(resolve(path));
  if (!existsSync(folder)) throw new UsageError(`${command}: --${flag} ${path}: folder ${folder} does not exist (create it first)`);
  if (!statSync(folder).isDirectory()) throw new UsageError(`${command}: --${flag} ${path}: ${folder} is not a folder`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new UsageError(`${command}: --${flag} ${path} is a directory, expected a file name`);
}

/** An input path that is a directory would fail later with a bare EISDIR and no path. */
export function checkNotDirectory(path: string, flag: string, command: string, what: string): void {
  if (existsSync(path) && statSync(path).isDirectory()) throw new UsageError(`${command}: --${flag} ${path} is a directory, expected ${what}`);
}

/** A --backend value must name a TensorFlow.js backend tfvision knows (whether it starts is checked later). */
export async function checkBackendName(backend: string | undefined, command: string): Promise<void> {
  if (backend === undefined) return;
  const { BACKEND_ORDER } = await import('@tfvision/nn');
  if (!(BACKEND_ORDER as readonly string[]).includes(backend)) throw new UsageError(`${command}: --backend must be one of ${BACKEND_ORDER.join(', ')}, got "${backend}"`);
}
