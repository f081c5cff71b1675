/**
 * The training configs bundled with the CLI (configs/ in this package), found by name so an
 * installed `tfvision` runs `--config fashion-mnist/resnest` without a path into a clone. A
 * path that exists wins, so `--config ./my.json` and repository paths keep working.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from './command.js';

/** configs/ beside dist/ in the package (this file is dist/configs.js once built). */
export const BUNDLED_CONFIG_DIR = fileURLToPath(new URL('../configs/', import.meta.url));

/** Names of the bundled configs, as `--config` takes them: `fashion-mnist/resnest`. */
export function bundledConfigNames(dir = BUNDLED_CONFIG_DIR): string[] {
  const names: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.json')) names.push(relative(dir, p).split('\\').join('/').replace(/\.json$/, ''));
    }
  };
  if (existsSync(dir)) walk(dir);
  return names.sort();
}

const isFile = (p: string): boolean => existsSync(p) && statSync(p).isFile();

/** The config file `--config value` means: the path itself, else a bundled config of that name. */
export function resolveConfigPath(value: string, dir = BUNDLED_CONFIG_DIR): string {
  if (isFile(value)) return value;
  if (existsSync(value)) throw new UsageError(`--config ${value} is a directory, expected a JSON config file or a bundled config name`);
  for (const candidate of [join(dir, value), join(dir, `${value}.json`)]) if (isFile(candidate)) return candidate;
  throw new UsageError(`--config ${value}: no such file and no bundled config of that name (bundled: ${bundledConfigNames(dir).join(', ')})`);
}
