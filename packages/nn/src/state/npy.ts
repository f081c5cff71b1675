import { decodeElements, encodeElements } from './codec.js';
import { checkHostTensor, dtypeBytes, formatShape, numElements, type HostTensor, type StoredDtype } from './host-tensor.js';

/**
 * NumPy's .npy format: magic "\x93NUMPY", version (1.0: u16 header length; 2.0/3.0: u32),
 * then a Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`
 * padded with spaces and a newline to a multiple of 64 bytes, then the raw data. C order
 * little-endian only. Arrays come back as HostTensors (dtype in safetensors naming).
 */

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DESCR_TO_DTYPE: Record<string, StoredDtype> = {
  '<f2': 'F16', '<f4': 'F32', '<f8': 'F64',
  '<i2': 'I16', '<i4': 'I32', '<i8': 'I64', '|i1': 'I8', '<i1': 'I8',
  '<u2': 'U16', '|u1': 'U8', '<u1': 'U8', '|b1': 'BOOL',
};

const DTYPE_TO_DESCR: Record<StoredDtype, string | undefined> = {
  F16: '<f2', F32: '<f4', F64: '<f8', I16: '<i2', I32: '<i4', I64: '<i8', I8: '|i1', U16: '<u2', U8: '|u1', BOOL: '|b1',
  BF16: undefined, // NumPy has no bfloat16
};

type PyValue = string | number | boolean | null | PyValue[] | { [k: string]: PyValue };

/** Parses the restricted Python literal NumPy writes (dict, tuple, list, str, int, bool, None). */
function parsePyLiteral(text: string, source: string): PyValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`${source}: .npy header is not a Python dict literal (${what} at character ${i}: ${JSON.stringify(text.slice(0, 120))})`);
  };
  const skip = (): void => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const value = (): PyValue => {
    skip();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: Record<string, PyValue> = {};
      for (;;) {
        skip();
        if (text[i] === '}') {
          i++;
          return obj;
        }
        const key = value();
        if (typeof key !== 'string') fail('a non-string key');
        skip();
        if (text[i++] !== ':') fail('a missing ":"');
        obj[key as string] = value();
        skip();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail('a missing "," or "}"');
      }
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const items: PyValue[] = [];
      for (;;) {
        skip();
        if (text[i] === close) {
          i++;
          return items;
        }
        items.push(value());
        skip();
        if (text[i] === ',') i++;
        else if (text[i] !== close) fail(`a missing "," or "${close}"`);
      }
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) fail('an unterminated string');
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    const word = /^(True|False|None|-?\d+L?)/.exec(text.slice(i));
    if (!word) return fail('an unexpected token');
    i += word[0].length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    if (word[0] === 'None') return null;
    return Number.parseInt(word[0], 10);
  };
  const v = value();
  skip();
  if (i !== text.length) fail('trailing text');
  return v;
}

function readHeaderLength(bytes: Uint8Array, source: string): { major: number; textStart: number; textLength: number } {
  if (bytes.byteLength < 10 || !MAGIC.every((b, k) => bytes[k] === b)) throw new Error(`${source}: not a .npy file (missing the \\x93NUMPY magic)`);
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major === 1) return { major, textStart: 10, textLength: view.getUint16(8, true) };
  if (major === 2 || major === 3) {
    if (bytes.byteLength < 12) throw new Error(`${source}: truncated .npy header (${bytes.byteLength} bytes)`);
    return { major, textStart: 12, textLength: view.getUint32(8, true) };
  }
  throw new Error(`${source}: .npy version ${major}.${bytes[7]} is not supported (1.0, 2.0, 3.0 are)`);
}

/** Parses a .npy file held in memory. `source` names it in errors. */
export function parseNpy(bytes: Uint8Array, source = 'npy'): HostTensor {
  const { major, textStart, textLength } = readHeaderLength(bytes, source);
  const dataStart = textStart + textLength;
  if (dataStart > bytes.byteLength) throw new Error(`${source}: .npy header length ${textLength} runs past the end of the file (${bytes.byteLength} bytes)`);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(textStart, dataStart));
  const header = parsePyLiteral(text.trim(), source);
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new Error(`${source}: .npy header must be a dict, got ${text.trim()}`);
  const { descr, fortran_order: fortran, shape } = header;
  if (typeof descr !== 'string') throw new Error(`${source}: .npy descr ${JSON.stringify(descr)} is a structured dtype; only plain numeric arrays are supported`);
  const dtype = DESCR_TO_DTYPE[descr];
  if (!dtype) {
    const hint = descr.startsWith('>') ? ' (big-endian: save with arr.astype(arr.dtype.newbyteorder("<")))' : '';
    throw new Error(`${source}: .npy dtype '${descr}' is not supported${hint} (supported: ${Object.keys(DESCR_TO_DTYPE).join(', ')})`);
  }
  if (fortran !== false) {
    throw new Error(`${source}: .npy fortran_order is ${JSON.stringify(fortran)}; only C order is supported (save np.ascontiguousarray(a))`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`${source}: .npy shape must be a tuple of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  const dims = shape as number[];
  const want = numElements(dims) * dtypeBytes(dtype);
  const have = bytes.byteLength - dataStart;
  if (have !== want) {
    throw new Error(`${source}: .npy data is ${have} bytes but shape ${formatShape(dims)} x '${descr}' needs ${want}${have < want ? ' (truncated)' : ''}`);
  }
  return { dtype, shape: dims, data: decodeElements(bytes.subarray(dataStart), dtype, source) };
}

function pyShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** The .npy header (magic, version, length, padded dict) for a tensor; version 1.0 unless too long. */
export function npyHeader(t: HostTensor): Uint8Array {
  const descr = DTYPE_TO_DESCR[t.dtype];
  if (!descr) throw new Error(`npy: dtype ${t.dtype} has no NumPy equivalent; convert it to F32 first`);
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${pyShape(t.shape)}, }`;
  // NumPy aligns the data to 64 bytes: pad the dict with spaces, end with a newline.
  const padTo64 = (prefix: number): number => Math.ceil((prefix + dict.length + 1) / 64) * 64;
  const v1 = padTo64(10) - 10 <= 0xffff;
  const prefix = v1 ? 10 : 12;
  const total = padTo64(prefix);
  const text = dict + ' '.repeat(total - prefix - dict.length - 1) + '\n';
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  out[6] = v1 ? 1 : 2;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (v1) view.setUint16(8, text.length, true);
  else view.setUint32(8, text.length, true);
  out.set(new TextEncoder().encode(text), prefix);
  return out;
}

/** The bytes of a .npy file holding `t` (C order, little-endian). */
export function serializeNpy(t: HostTensor): Uint8Array {
  checkHostTensor(t, 'npy');
  const head = npyHeader(t);
  const data = encodeElements(t);
  const out = new Uint8Array(head.byteLength + data.byteLength);
  out.set(head, 0);
  out.set(data, head.byteLength);
  return out;
}
