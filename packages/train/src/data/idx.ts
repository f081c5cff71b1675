/**
 * Reader for the IDX format of MNIST / Fashion-MNIST (http://yann.lecun.com/exdb/mnist/):
 * two zero bytes, a type byte (only 0x08, unsigned byte, is used by these data sets), a
 * dimension count, big-endian uint32 sizes, then the data. Gzipped files (by magic bytes)
 * are inflated with node:zlib.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export interface IdxData {
  dims: number[];
  data: Uint8Array;
}

const TYPE_NAMES: Record<number, string> = { 0x08: 'uint8', 0x09: 'int8', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64' };

/** Parses IDX bytes; `name` is used in error messages. */
export function parseIdx(bytes: Uint8Array, name: string): IdxData {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      throw new Error(`${name}: gzip data is corrupt (${(err as Error).message})`);
    }
  }
  if (bytes.length < 4) throw new Error(`${name}: ${bytes.length} bytes is too short for an IDX header`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(`${name}: bad IDX magic: expected 0x0000 then type and rank, got 0x${hex(bytes[0])}${hex(bytes[1])}`);
  }
  const type = bytes[2];
  if (type !== 0x08) {
    throw new Error(`${name}: IDX element type 0x${hex(type)} (${TYPE_NAMES[type] ?? 'unknown'}) is not supported; only 0x08 (uint8)`);
  }
  const rank = bytes[3];
  if (rank < 1) throw new Error(`${name}: IDX rank must be >= 1, got ${rank}`);
  const header = 4 + 4 * rank;
  if (bytes.length < header) throw new Error(`${name}: file ends inside the IDX header (${bytes.length} bytes, header needs ${header})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  const available = bytes.length - header;
  if (available !== count) {
    throw new Error(`${name}: IDX dims [${dims.join(', ')}] need ${count} bytes of data, file has ${available}`);
  }
  return { dims, data: bytes.slice(header) };
}

/** Reads an IDX file, raw or gzipped. */
export function readIdxFile(path: string): IdxData {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new Error(`${path}: cannot read IDX file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseIdx(bytes, path);
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
