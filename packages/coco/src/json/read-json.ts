import { JsonSyntaxError } from './json-syntax-error.js';
import { parseJsonBytes, parseJsonFile } from './parse-json-bytes.js';

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
 * Reads and parses a JSON file through a sliding window (parseJsonFile): only the window
 * (64 MiB) and the parsed values are ever in memory, never the whole file as bytes or text,
 * and files beyond V8's string limit (about 512 MiB) work. On a train2017-sized file (491 MB,
 * 860k annotations) this is as fast as JSON.parse and peaks about 0.4 GB lower (see the
 * package README for the figures).
 */
export async function readJsonFile(path: string): Promise<unknown> {
  return parseJsonFile(path);
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
