import { constants as bufferConstants } from 'node:buffer';
import { readFile, stat } from 'node:fs/promises';
import { JsonSyntaxError } from './json-syntax-error.js';
import { parseJsonBytes } from './parse-json-bytes.js';

/**
 * Files up to this many bytes are decoded to one string and given to V8's JSON.parse (the
 * fastest parser there is); larger ones cannot be one string and go through parseJsonBytes.
 * UTF-8 never has fewer bytes than UTF-16 code units, so the byte count bounds the length.
 */
export const MAX_JSON_STRING_BYTES = bufferConstants.MAX_STRING_LENGTH;

/**
 * Parses JSON text or bytes. A syntax error becomes a JsonSyntaxError naming `source` and the
 * byte offset, line and column of the problem.
 */
export function parseJson(input: string | Uint8Array, source: string): unknown {
  if (typeof input === 'string') {
    try {
      return JSON.parse(stripBom(input));
    } catch (err) {
      throw locateSyntaxError(err, Buffer.from(input, 'utf8'), source);
    }
  }
  if (input.byteLength > MAX_JSON_STRING_BYTES) return parseJsonBytes(input, source);
  const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  let text: string;
  try {
    text = bytes.toString('utf8');
  } catch {
    return parseJsonBytes(input, source);
  }
  try {
    return JSON.parse(stripBom(text));
  } catch (err) {
    throw locateSyntaxError(err, bytes, source);
  }
}

/**
 * Reads and parses a JSON file holding at most one copy of its text: the file's bytes are
 * dropped once decoded, and read again only if the text turns out not to be JSON (to find
 * the failing byte). Files too large for one string are parsed from their bytes.
 */
export async function readJsonFile(path: string): Promise<unknown> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    throw new Error(`${path}: cannot read file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (size > MAX_JSON_STRING_BYTES) return parseJsonBytes(await readBytes(path), path);
  let text = (await readBytes(path)).toString('utf8');
  try {
    return JSON.parse(stripBom(text));
  } catch (err) {
    text = '';
    throw locateSyntaxError(err, await readBytes(path), path);
  }
}

async function readBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new Error(`${path}: cannot read file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
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
