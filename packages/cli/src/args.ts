import { UsageError } from './command.js';

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | true>;
}

/**
 * Parses `--key value`, `--key=value` and bare `--flag` (given in `booleans`).
 * Unknown flags are an error naming the flag, so a typo never silently keeps a default.
 */
export function parseArgs(argv: string[], known: { values: string[]; booleans: string[] }, command: string): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const key = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    if (known.booleans.includes(key)) {
      if (eq >= 0) throw new UsageError(`${command}: --${key} takes no value`);
      flags.set(key, true);
    } else if (known.values.includes(key)) {
      const value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new UsageError(`${command}: --${key} needs a value`);
      flags.set(key, value);
    } else {
      const all = [...known.values, ...known.booleans].map((k) => `--${k}`).join(', ');
      throw new UsageError(`${command}: unknown option --${key} (known: ${all || 'none'})`);
    }
  }
  return { positional, flags };
}

export function stringFlag(args: ParsedArgs, key: string): string | undefined {
  const v = args.flags.get(key);
  return typeof v === 'string' ? v : undefined;
}

export function requiredFlag(args: ParsedArgs, key: string, command: string): string {
  const v = stringFlag(args, key);
  if (v === undefined) throw new UsageError(`${command}: --${key} is required`);
  return v;
}

export function numberFlag(args: ParsedArgs, key: string, command: string, fallback: number): number {
  const v = stringFlag(args, key);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`${command}: --${key} must be a number, got "${v}"`);
  return n;
}

/** An optional flag that must be a positive integer (`--batch`, `--min-size`). */
export function positiveIntegerFlag(args: ParsedArgs, key: string, command: string): number | undefined {
  const v = stringFlag(args, key);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${command}: --${key} must be a positive integer, got "${v}"`);
  return n;
}

/**
 * `--images A B C` takes every argument up to the next flag: pulled out before parseArgs, which
 * takes one value per flag.
 */
export function splitImagesFlag(argv: readonly string[]): { rest: string[]; images: string[] } {
  const rest: string[] = [];
  const images: string[] = [];
  let inImages = false;
  for (const a of argv) {
    if (a === '--images') {
      inImages = true;
      continue;
    }
    if (a.startsWith('--')) inImages = false;
    (inImages ? images : rest).push(a);
  }
  return { rest, images };
}
