import { readFile } from 'node:fs/promises';
import { JsonSyntaxError } from './json-syntax-error.js';
import { parseJsonBytes } from './parse-json-bytes.js';

/**
 * Parses JSON text or bytes. A syntax error becomes a JsonSyntaxError naming `source` and the
 * byte offset, line and column of the problem. Bytes go through parseJsonBytes, which never
 * builds a string of the whole input (see readJsonFile); text goes through JSON.parse.
 */
export function parseJson(input: string | Uint8Array, source: string): unknown {
  if (typeof input !== 'string') return parseJsonBytes(input, source);
  try {
    return JSON.parse(input.charCodeAt(0) === 0xfeff ? input.slice(1) : input);
  } catch (err) {
    throw locateSyntaxError(err, Buffer.from(input, 'utf8'), source);
  }
}

/**
 * Reads and parses a JSON file from its bytes with parseJsonBytes. Measured on a
 * train2017-sized file (491 MB, 860k annotations) this is as fast as decoding to a string
 * for JSON.parse (about 6 s each) and peaks lower (1.71 GB against 1.76 GB RSS), because no
 * 491 MB string is ever made and coordinate arrays stay unboxed doubles; it also works on
 * files larger than V8's string limit (about 512 MiB).
 */
export async function readJsonFile(path: string): Promise<unknown> {
  return parseJsonBytes(await readBytes(path), path);
}

async function readBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new Error(`${path}: cannot read file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** Re-parses failed input with the byte parser, whose error carries the exact location. */
function locateSyntaxError(err: unknown, bytes: Uint8Array, source: string): Error {
  if (!(err instanceof SyntaxError)) return err instanceof Error ? err : new Error(String(err));
  try {
    parseJsonBytes(bytes, source);
  } catch (located) {
    if (located instanceof JsonSyntaxError) return located;
    throw located;
  }
  // Both parsers follow RFC 8259; should they ever disagree, keep V8's reason.
  return new Error(`${source}: invalid JSON: ${err.message}`);
}
