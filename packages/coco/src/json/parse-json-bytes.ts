import { JsonSyntaxError, locateOffset } from './json-syntax-error.js';

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

class Failure {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {}
}

/**
 * A strict JSON parser (RFC 8259) that works on the file's bytes without ever building one
 * string of the whole file. It is used for files too large for a V8 string (about 512 MiB)
 * and to locate the byte where `JSON.parse` failed, which V8's message does not always say.
 * Values come out exactly as `JSON.parse` gives them.
 */
export function parseJsonBytes(input: Uint8Array, source: string): unknown {
  const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const parser = new BytesParser(bytes);
  try {
    parser.skipBom();
    parser.skipWhitespace();
    const value = parser.parseValue(0);
    parser.skipWhitespace();
    if (parser.pos < bytes.length) parser.fail(`unexpected ${describeByte(bytes[parser.pos])} after the end of the top-level value`);
    return value;
  } catch (err) {
    if (err instanceof Failure) throw new JsonSyntaxError(source, locateOffset(bytes, err.offset), err.reason);
    throw err;
  }
}

function describeByte(b: number | undefined): string {
  if (b === undefined) return 'end of input';
  if (b >= 0x21 && b < 0x7f) return `'${String.fromCharCode(b)}'`;
  return `byte 0x${b.toString(16).padStart(2, '0')}`;
}

class BytesParser {
  pos = 0;
  constructor(private readonly bytes: Buffer) {}

  fail(reason: string, offset = this.pos): never {
    throw new Failure(offset, reason);
  }

  private failUnexpected(expected: string): never {
    const b = this.bytes[this.pos];
    if (b === undefined) this.fail(`unexpected end of input (file truncated?), expected ${expected}`);
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
      if (this.bytes[this.pos] !== QUOTE) this.failUnexpected('a property name in double quotes');
      const key = this.parseString();
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
    const out: unknown[] = [];
    this.skipWhitespace();
    if (this.bytes[this.pos] === CLOSE_BRACKET) {
      this.pos++;
      return out;
    }
    for (;;) {
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
    // Integers below 2^53 are accumulated directly; anything else goes through Number(),
    // which rounds exactly as JSON.parse does.
    let intValue = 0;
    while (c !== undefined && c >= ZERO && c <= NINE) {
      intValue = intValue * 10 + (c - ZERO);
      c = b[++p];
    }
    if (b[intStart] === ZERO && p - intStart > 1) this.fail('leading zeros are not allowed in JSON numbers', intStart);
    let simple = p - intStart <= 15;
    if (c === DOT) {
      simple = false;
      c = b[++p];
      if (c === undefined || c < ZERO || c > NINE) {
        this.pos = p;
        this.failUnexpected('a digit after the decimal point');
      }
      while (c !== undefined && c >= ZERO && c <= NINE) c = b[++p];
    }
    if (c === LOWER_E || c === UPPER_E) {
      simple = false;
      c = b[++p];
      if (c === PLUS || c === MINUS) c = b[++p];
      if (c === undefined || c < ZERO || c > NINE) {
        this.pos = p;
        this.failUnexpected('a digit in the exponent');
      }
      while (c !== undefined && c >= ZERO && c <= NINE) c = b[++p];
    }
    this.pos = p;
    if (simple) return negative ? -intValue : intValue;
    return Number(b.toString('latin1', start, p));
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
        this.fail('unexpected end of input inside a string (file truncated?)');
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
        this.fail('unexpected end of input inside a string (file truncated?)');
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
            this.fail('unexpected end of input inside a string (file truncated?)');
          }
          this.fail(`invalid escape '\\${String.fromCharCode(e)}'`, p);
      }
      p += 2;
      runStart = p;
    }
  }
}
