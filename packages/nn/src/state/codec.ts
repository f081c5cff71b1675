import { decodeBF16, decodeF16, encodeBF16, encodeF16 } from './half.js';
import { dtypeBytes, type HostArray, type HostTensor, type StoredDtype } from './host-tensor.js';

/**
 * Little-endian bytes <-> decoded typed arrays for the stored dtypes. Decoding returns a view
 * on the input bytes when the offset is aligned for the element type (no copy), otherwise
 * copies once; encoding returns a view on `data` when no conversion is needed.
 */

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  // Views on file bytes are only valid on little-endian hosts (every platform Node ships for but s390x).
  throw new Error('@tfvision/nn state dicts: big-endian hosts are not supported');
}

type ArrayCtor<T> = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number };

function viewOrCopy<T>(bytes: Uint8Array, Ctor: ArrayCtor<T>): T {
  const n = bytes.byteLength / Ctor.BYTES_PER_ELEMENT;
  if (bytes.byteOffset % Ctor.BYTES_PER_ELEMENT === 0) return new Ctor(bytes.buffer, bytes.byteOffset, n);
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Ctor(copy.buffer, 0, n);
}

/**
 * Decodes `bytes` (exactly numel * element size) of `dtype`. `where` names the tensor for
 * the errors on values the decoded type cannot hold (I64 outside int32, BOOL not 0/1).
 */
export function decodeElements(bytes: Uint8Array, dtype: StoredDtype, where: string): HostArray {
  switch (dtype) {
    case 'F32':
      return viewOrCopy(bytes, Float32Array);
    case 'F64':
      return viewOrCopy(bytes, Float64Array);
    case 'I32':
      return viewOrCopy(bytes, Int32Array);
    case 'I16':
      return viewOrCopy(bytes, Int16Array);
    case 'U16':
      return viewOrCopy(bytes, Uint16Array);
    case 'I8':
      return viewOrCopy(bytes, Int8Array);
    case 'U8':
      return viewOrCopy(bytes, Uint8Array);
    case 'BOOL': {
      const b = viewOrCopy(bytes, Uint8Array);
      const bad = b.findIndex((v) => v > 1);
      if (bad >= 0) throw new Error(`${where}: BOOL element ${bad} is ${b[bad]}, expected 0 or 1`);
      return b;
    }
    case 'F16':
      return decodeF16(viewOrCopy(bytes, Uint16Array));
    case 'BF16':
      return decodeBF16(viewOrCopy(bytes, Uint16Array));
    case 'I64':
      return int64ToInt32(viewOrCopy(bytes, Int32Array), where);
  }
}

/** Low words of little-endian int64 pairs, refusing values outside int32 (tfjs has no int64). */
function int64ToInt32(words: Int32Array, where: string): Int32Array {
  const out = new Int32Array(words.length / 2);
  for (let i = 0; i < out.length; i++) {
    const lo = words[2 * i];
    const hi = words[2 * i + 1];
    if (hi !== lo >> 31) {
      const value = (BigInt(hi) << 32n) | BigInt(lo >>> 0);
      throw new Error(`${where}: I64 element ${i} = ${value} does not fit in int32`);
    }
    out[i] = lo;
  }
  return out;
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Little-endian bytes of a checked host tensor in its stored dtype. */
export function encodeElements(t: HostTensor): Uint8Array {
  switch (t.dtype) {
    case 'F16':
      return bytesOf(encodeF16(t.data as Float32Array));
    case 'BF16':
      return bytesOf(encodeBF16(t.data as Float32Array));
    case 'I64': {
      const src = t.data as Int32Array;
      const words = new Int32Array(src.length * 2);
      for (let i = 0; i < src.length; i++) {
        words[2 * i] = src[i];
        words[2 * i + 1] = src[i] >> 31;
      }
      return bytesOf(words);
    }
    default:
      return bytesOf(t.data);
  }
}

export function encodedByteLength(t: HostTensor): number {
  return t.data.length * dtypeBytes(t.dtype);
}
