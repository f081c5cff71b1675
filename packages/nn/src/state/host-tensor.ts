/**
 * Tensors as they sit in checkpoint files, decoded into plain typed arrays (no tfjs): the
 * common currency of the safetensors and .npy readers/writers and of state-dict loading.
 * Dtype names are safetensors' (`F32`, `I64`, ...); each decodes to one typed-array kind.
 */
export type StoredDtype = 'BOOL' | 'U8' | 'I8' | 'I16' | 'U16' | 'F16' | 'BF16' | 'I32' | 'F32' | 'F64' | 'I64';

export type HostArray = Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint16Array | Uint8Array;

export interface HostTensor {
  /** The dtype stored in (or to be written to) the file. */
  dtype: StoredDtype;
  shape: number[];
  /**
   * Decoded values, C order: F32/F16/BF16 → Float32Array, F64 → Float64Array, I32/I64 →
   * Int32Array (I64 range-checked), I16 → Int16Array, I8 → Int8Array, U16 → Uint16Array,
   * U8/BOOL → Uint8Array. Readers return views on the file's bytes where alignment allows.
   */
  data: HostArray;
}

/** Tensors by name, in file order. */
export type TensorMap = Map<string, HostTensor>;

interface DtypeInfo {
  /** Bytes per element in the file. */
  bytes: number;
  /** Typed-array constructor of the decoded values. */
  array: string;
}

const DTYPES: Record<StoredDtype, DtypeInfo> = {
  BOOL: { bytes: 1, array: 'Uint8Array' },
  U8: { bytes: 1, array: 'Uint8Array' },
  I8: { bytes: 1, array: 'Int8Array' },
  I16: { bytes: 2, array: 'Int16Array' },
  U16: { bytes: 2, array: 'Uint16Array' },
  F16: { bytes: 2, array: 'Float32Array' },
  BF16: { bytes: 2, array: 'Float32Array' },
  I32: { bytes: 4, array: 'Int32Array' },
  F32: { bytes: 4, array: 'Float32Array' },
  F64: { bytes: 8, array: 'Float64Array' },
  I64: { bytes: 8, array: 'Int32Array' },
};

export const STORED_DTYPES = Object.keys(DTYPES) as StoredDtype[];

export function isStoredDtype(s: unknown): s is StoredDtype {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(DTYPES, s);
}

export function dtypeBytes(dtype: StoredDtype): number {
  return DTYPES[dtype].bytes;
}

/** Whether a stored dtype holds floating-point values. */
export function isFloatDtype(dtype: StoredDtype): boolean {
  return dtype === 'F16' || dtype === 'BF16' || dtype === 'F32' || dtype === 'F64';
}

export function numElements(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Throws (naming `where`) unless `t.data` is the typed array its dtype decodes to, of the shape's size. */
export function checkHostTensor(t: HostTensor, where: string): void {
  if (!isStoredDtype(t.dtype)) throw new Error(`${where}: unknown dtype "${String(t.dtype)}" (expected one of ${STORED_DTYPES.join(', ')})`);
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(t.shape)}`);
  }
  const want = DTYPES[t.dtype].array;
  const got = t.data?.constructor?.name ?? typeof t.data;
  if (got !== want) throw new Error(`${where}: dtype ${t.dtype} needs its values in a ${want}, got ${got}`);
  const n = numElements(t.shape);
  if (t.data.length !== n) throw new Error(`${where}: shape ${formatShape(t.shape)} needs ${n} values, got ${t.data.length}`);
}
