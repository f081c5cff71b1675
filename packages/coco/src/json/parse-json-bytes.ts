import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { JsonSyntaxError, locateOffset, type JsonLocation } from './json-syntax-error.js';

/** JSON nesting deeper than this is not a COCO file; refusing it avoids a stack overflow. */
const MAX_DEPTH = 512;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** 1e0..1e22: every one of these is exactly representable as a double. */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

class Failure {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {}
}

/**
 * A strict JSON parser (RFC 8259) over bytes that never builds one string of the whole
 * input. Values come out exactly as `JSON.parse` gives them; errors carry the byte offset,
 * line and column.
 */
export function parseJsonBytes(input: Uint8Array, source: string): unknown {
  const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  return runParser(new BytesParser(bytes), source);
}

/** Bytes of the sliding window parseJsonFile reads a file through. */
export const JSON_WINDOW_BYTES = 64 * 2 ** 20;
/** The longest single token (string, number) or gap between two values a window allows. */
export const JSON_MAX_TOKEN_BYTES = 16 * 2 ** 20;

/**
 * Parses a JSON file read through a 64 MiB window, so only the window and the parsed
 * values are in memory, never the file's bytes or text as a whole (a 491 MB COCO file
 * then peaks 0.4 GB lower than reading it whole).
 */
export function parseJsonFile(path: string, windowBytes = JSON_WINDOW_BYTES, maxTokenBytes = JSON_MAX_TOKEN_BYTES): unknown {
  if (!(maxTokenBytes > 0 && windowBytes > maxTokenBytes)) {
    throw new Error(`parseJsonFile: windowBytes (${windowBytes}) must exceed maxTokenBytes (${maxTokenBytes}) > 0`);
  }
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new Error(`${path}: cannot read file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    const size = fstatSync(fd).size;
    const window = Buffer.allocUnsafe(Math.max(1, Math.min(windowBytes, size)));
    const read: ReadInto = (buf, offset) => readSync(fd, buf, offset, buf.length - offset, null);
    const parser = new BytesParser(window.subarray(0, 0), { read, window, totalSize: size, maxTokenBytes });
    parser.refill();
    return runParser(parser, path);
  } finally {
    closeSync(fd);
  }
}

function runParser(parser: BytesParser, source: string): unknown {
  try {
    parser.skipBom();
    parser.skipWhitespace();
    const value = parser.parseValue(0);
    parser.skipWhitespace();
    if (parser.pos < parser.bytes.length) parser.fail(`unexpected ${describeByte(parser.bytes[parser.pos])} after the end of the top-level value`);
    return value;
  } catch (err) {
    if (err instanceof Failure) throw new JsonSyntaxError(source, parser.locate(err.offset), err.reason);
    throw err;
  }
}

function describeByte(b: number | undefined): string {
  if (b === undefined) return 'end of input';
  if (b >= 0x21 && b < 0x7f) return `'${String.fromCharCode(b)}'`;
  return `byte 0x${b.toString(16).padStart(2, '0')}`;
}

// Bound once: under a vm context (jest) each global lookup is an interceptor call.
const { imul } = Math;
const KEY_CACHE_SIZE = 1024;
const MAX_INTERNED_KEY = 32;

/** Fills `buf` from `offset` on; returns the number of bytes read, 0 at the end. */
type ReadInto = (buf: Buffer, offset: number) => number;

interface WindowStream {
  read: ReadInto;
  window: Buffer;
  /** The input's size, so the last window is known to be the last. */
  totalSize: number;
  maxTokenBytes: number;
}

class BytesParser {
  pos = 0;
  /** Absolute offset of bytes[0] in the input. */
  private base = 0;
  /** Refill the window once pos passes this (Infinity: the whole input is in `bytes`). */
  private refillAt = Infinity;
  private exhausted = true;
  /** Newlines in the input before the window, and the absolute offset of the last one. */
  private linesBefore = 0;
  private lastNewlineBefore = -1;
  private readonly keyCache: (string | undefined)[] = new Array<string | undefined>(KEY_CACHE_SIZE).fill(undefined);
  constructor(
    public bytes: Buffer,
    private readonly stream?: WindowStream,
  ) {
    if (stream) this.exhausted = false;
  }

  /**
   * Moves the unread tail of the window to its front and reads more after it. Called only
   * between values (no token in progress), so no offset held by a caller goes stale.
   */
  refill(): void {
    const { window, read, totalSize, maxTokenBytes } = this.stream as WindowStream;
    const consumed = this.pos;
    for (let i = this.bytes.indexOf(0x0a, 0); i >= 0 && i < consumed; i = this.bytes.indexOf(0x0a, i + 1)) {
      this.linesBefore++;
      this.lastNewlineBefore = this.base + i;
    }
    const keep = this.bytes.length - consumed;
    this.bytes.copy(window, 0, consumed, this.bytes.length);
    this.base += consumed;
    this.pos = 0;
    let filled = keep;
    while (filled < window.length) {
      const n = read(window, filled);
      if (n === 0) {
        this.exhausted = true;
        break;
      }
      filled += n;
    }
    if (this.base + filled >= totalSize) this.exhausted = true;
    this.bytes = window.subarray(0, filled);
    this.refillAt = this.exhausted ? Infinity : filled - maxTokenBytes;
  }

  /** Line and column of an absolute offset (the window holds it: failures happen there). */
  locate(offset: number): JsonLocation {
    const inWindow = locateOffset(this.bytes, offset - this.base);
    if (inWindow.line > 1) return { offset, line: this.linesBefore + inWindow.line, column: inWindow.column };
    return { offset, line: this.linesBefore + 1, column: offset - this.lastNewlineBefore };
  }

  fail(reason: string, offset = this.pos): never {
    throw new Failure(this.base + offset, reason);
  }

  /** Reaching the end of the window before the end of the input means a token was too long. */
  private failAtEnd(reason: string): never {
    if (!this.exhausted) this.fail(`a single value longer than ${this.stream?.maxTokenBytes} bytes is not supported`);
    this.fail(reason);
  }

  private failUnexpected(expected: string): never {
    const b = this.bytes[this.pos];
    if (b === undefined) this.failAtEnd(`unexpected end of input (file truncated?), expected ${expected}`);
    this.fail(`unexpected ${describeByte(b)}, expected ${expected}`);
  }

  skipBom(): void {
    const b = this.bytes;
    if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) this.pos = 3;
  }

  skipWhitespace(): void {
    const b = this.bytes;
    let p = this.pos;
    for (;;) {
      const c = b[p];
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      else break;
    }
    this.pos = p;
  }

  parseValue(depth: number): unknown {
    const c = this.bytes[this.pos];
    if (c === OPEN_BRACE) return this.parseObject(depth + 1);
    if (c === OPEN_BRACKET) return this.parseArray(depth + 1);
    if (c === QUOTE) return this.parseString();
    if (c === MINUS || (c !== undefined && c >= ZERO && c <= NINE)) return this.parseNumber();
    if (c === 0x74) return this.parseLiteral('true', true);
    if (c === 0x66) return this.parseLiteral('false', false);
    if (c === 0x6e) return this.parseLiteral('null', null);
    return this.failUnexpected('a value');
  }

  private parseLiteral<T>(word: string, value: T): T {
    for (let i = 0; i < word.length; i++) {
      if (this.bytes[this.pos + i] !== word.charCodeAt(i)) {
        this.pos += i;
        this.failUnexpected(`'${word}'`);
      }
    }
    this.pos += word.length;
    return value;
  }

  private parseObject(depth: number): Record<string, unknown> {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
    this.pos++; // {
    const out: Record<string, unknown> = {};
    this.skipWhitespace();
    if (this.bytes[this.pos] === CLOSE_BRACE) {
      this.pos++;
      return out;
    }
    for (;;) {
      if (this.pos > this.refillAt) this.refill();
      if (this.bytes[this.pos] !== QUOTE) this.failUnexpected('a property name in double quotes');
      const key = this.parseKey();
      this.skipWhitespace();
      if (this.bytes[this.pos] !== COLON) this.failUnexpected("':'");
      this.pos++;
      this.skipWhitespace();
      const value = this.parseValue(depth);
      // A plain assignment to "__proto__" would replace the prototype instead of adding a key.
      if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      else out[key] = value;
      this.skipWhitespace();
      const c = this.bytes[this.pos];
      if (c === COMMA) {
        this.pos++;
        this.skipWhitespace();
      } else if (c === CLOSE_BRACE) {
        this.pos++;
        return out;
      } else this.failUnexpected("',' or '}'");
    }
  }

  private parseArray(depth: number): unknown[] {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
    this.pos++; // [
    this.skipWhitespace();
    const first = this.bytes[this.pos];
    if (first === CLOSE_BRACKET) {
      this.pos++;
      return [];
    }
    if (first === MINUS || (first !== undefined && first >= ZERO && first <= NINE)) return this.parseNumberArray(depth);
    return this.parseArrayItems([], depth);
  }

  /**
   * Arrays of numbers (coordinates, boxes, RLE counts: most of a COCO file) are built at
   * their own allocation site. V8 remembers per site the most general element kind it has
   * seen; sharing one site with arrays of objects would make every coordinate a boxed heap
   * number, 60% more memory for a train2017 file.
   */
  private parseNumberArray(depth: number): unknown[] {
    const out: number[] = [];
    for (;;) {
      if (this.pos > this.refillAt) this.refill();
      out.push(this.parseNumber());
      this.skipWhitespace();
      const c = this.bytes[this.pos];
      if (c === COMMA) {
        this.pos++;
        this.skipWhitespace();
        const n = this.bytes[this.pos];
        if (n === MINUS || (n !== undefined && n >= ZERO && n <= NINE)) continue;
        // A mixed array: carry on as a general one.
        return this.parseArrayItems(out.slice() as unknown[], depth);
      } else if (c === CLOSE_BRACKET) {
        this.pos++;
        return out;
      } else this.failUnexpected("',' or ']'");
    }
  }

  private parseArrayItems(out: unknown[], depth: number): unknown[] {
    for (;;) {
      if (this.pos > this.refillAt) this.refill();
      out.push(this.parseValue(depth));
      this.skipWhitespace();
      const c = this.bytes[this.pos];
      if (c === COMMA) {
        this.pos++;
        this.skipWhitespace();
      } else if (c === CLOSE_BRACKET) {
        this.pos++;
        return out;
      } else this.failUnexpected("',' or ']'");
    }
  }

  private parseNumber(): number {
    const b = this.bytes;
    const start = this.pos;
    let p = start;
    let negative = false;
    if (b[p] === MINUS) {
      negative = true;
      p++;
    }
    const intStart = p;
    let c = b[p];
    if (c === undefined || c < ZERO || c > NINE) {
      this.pos = p;
      this.failUnexpected('a digit');
    }
    // Clinger's fast path: with at most 15 significant digits the mantissa is an exact
    // double, and one multiplication or division by an exact power of ten (<= 1e22) is
    // correctly rounded, i.e. the same double JSON.parse returns. Anything else goes
    // through Number() on the text.
    let mantissa = 0;
    let digits = 0;
    while (c !== undefined && c >= ZERO && c <= NINE) {
      mantissa = mantissa * 10 + (c - ZERO);
      digits++;
      c = b[++p];
    }
    if (b[intStart] === ZERO && p - intStart > 1) this.fail('leading zeros are not allowed in JSON numbers', intStart);
    let scale = 0;
    if (c === DOT) {
      c = b[++p];
      if (c === undefined || c < ZERO || c > NINE) {
        this.pos = p;
        this.failUnexpected('a digit after the decimal point');
      }
      while (c !== undefined && c >= ZERO && c <= NINE) {
        mantissa = mantissa * 10 + (c - ZERO);
        digits++;
        scale--;
        c = b[++p];
      }
    }
    if (c === LOWER_E || c === UPPER_E) {
      c = b[++p];
      let expNegative = false;
      if (c === PLUS || c === MINUS) {
        expNegative = c === MINUS;
        c = b[++p];
      }
      if (c === undefined || c < ZERO || c > NINE) {
        this.pos = p;
        this.failUnexpected('a digit in the exponent');
      }
      let exp = 0;
      while (c !== undefined && c >= ZERO && c <= NINE) {
        if (exp < 1e6) exp = exp * 10 + (c - ZERO);
        c = b[++p];
      }
      scale += expNegative ? -exp : exp;
    }
    this.pos = p;
    if (digits <= 15 && scale >= -22 && scale <= 22) {
      const value = scale < 0 ? mantissa / POW10[-scale] : mantissa * POW10[scale];
      return negative ? -value : value;
    }
    return Number(b.toString('latin1', start, p));
  }

  /**
   * Object keys repeat millions of times in a COCO file ("bbox", "image_id", ...). Short
   * ASCII keys are interned through a small hash table so each distinct key is one string,
   * as JSON.parse does; this saves memory and the work of creating each copy.
   */
  private parseKey(): string {
    const b = this.bytes;
    const start = this.pos + 1;
    let p = start;
    let hash = 0x811c9dc5;
    for (;;) {
      const c = b[p];
      if (c === undefined || c === BACKSLASH || c >= 0x80 || c < 0x20 || p - start > MAX_INTERNED_KEY) return this.parseString();
      if (c === QUOTE) break;
      hash = imul(hash ^ c, 0x01000193);
      p++;
    }
    const slot = (hash >>> 0) & (KEY_CACHE_SIZE - 1);
    const cached = this.keyCache[slot];
    const length = p - start;
    if (cached !== undefined && cached.length === length) {
      let same = true;
      for (let i = 0; i < length; i++) {
        if (cached.charCodeAt(i) !== b[start + i]) {
          same = false;
          break;
        }
      }
      if (same) {
        this.pos = p + 1;
        return cached;
      }
    }
    const key = b.toString('latin1', start, p);
    this.keyCache[slot] = key;
    this.pos = p + 1;
    return key;
  }

  parseString(): string {
    const b = this.bytes;
    const start = ++this.pos; // after the opening quote
    let p = start;
    let ascii = true;
    for (;;) {
      const c = b[p];
      if (c === undefined) {
        this.pos = p;
        this.failAtEnd('unexpected end of input inside a string (file truncated?)');
      }
      if (c === QUOTE) {
        this.pos = p + 1;
        return ascii ? b.toString('latin1', start, p) : b.toString('utf8', start, p);
      }
      if (c === BACKSLASH) break;
      if (c < 0x20) this.fail(`control character 0x${c.toString(16).padStart(2, '0')} inside a string`, p);
      if (c >= 0x80) ascii = false;
      p++;
    }
    return this.parseEscapedString(start, p);
  }

  /** The slow path: a string with escapes, decoded piece by piece. */
  private parseEscapedString(start: number, firstEscape: number): string {
    const b = this.bytes;
    let out = b.toString('utf8', start, firstEscape);
    let p = firstEscape;
    let runStart = p;
    for (;;) {
      const c = b[p];
      if (c === undefined) {
        this.pos = p;
        this.failAtEnd('unexpected end of input inside a string (file truncated?)');
      }
      if (c === QUOTE) {
        out += b.toString('utf8', runStart, p);
        this.pos = p + 1;
        return out;
      }
      if (c < 0x20) this.fail(`control character 0x${c.toString(16).padStart(2, '0')} inside a string`, p);
      if (c !== BACKSLASH) {
        p++;
        continue;
      }
      out += b.toString('utf8', runStart, p);
      const e = b[p + 1];
      switch (e) {
        case QUOTE: out += '"'; break;
        case BACKSLASH: out += '\\'; break;
        case 0x2f: out += '/'; break;
        case 0x62: out += '\b'; break;
        case 0x66: out += '\f'; break;
        case 0x6e: out += '\n'; break;
        case 0x72: out += '\r'; break;
        case 0x74: out += '\t'; break;
        case 0x75: {
          const hex = b.toString('latin1', p + 2, p + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid \\u escape, expected 4 hex digits', p);
          out += String.fromCharCode(parseInt(hex, 16));
          p += 4;
          break;
        }
        default:
          if (e === undefined) {
            this.pos = p + 1;
            this.failAtEnd('unexpected end of input inside a string (file truncated?)');
          }
          this.fail(`invalid escape '\\${String.fromCharCode(e)}'`, p);
      }
      p += 2;
      runStart = p;
    }
  }
}
