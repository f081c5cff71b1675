/** Where in a JSON file parsing failed: byte offset (0-based), line and column (1-based). */
export interface JsonLocation {
  offset: number;
  line: number;
  column: number;
}

/**
 * A JSON file that is not valid JSON (truncated download, hand edit gone wrong). The message
 * names the file and the byte offset, line and column, so a 450 MB file need not be opened
 * in an editor to find the problem.
 */
export class JsonSyntaxError extends Error {
  override name = 'JsonSyntaxError';
  constructor(
    readonly source: string,
    readonly location: JsonLocation,
    readonly reason: string,
  ) {
    super(`${source}: invalid JSON at byte ${location.offset} (line ${location.line}, column ${location.column}): ${reason}`);
  }
}

/** Line and column of a byte offset; columns count bytes, as editors' "go to byte" does. */
export function locateOffset(bytes: Uint8Array, offset: number): JsonLocation {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, bytes.length);
  for (let i = 0; i < end; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { offset, line, column: offset - lineStart + 1 };
}
