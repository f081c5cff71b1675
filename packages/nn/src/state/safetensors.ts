import { decodeElements, encodedByteLength, encodeElements } from './codec.js';
import {
  checkHostTensor, dtypeBytes, formatShape, isStoredDtype, numElements, STORED_DTYPES,
  type HostTensor, type StoredDtype, type TensorMap,
} from './host-tensor.js';

/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian u64 N, N bytes of
 * UTF-8 JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {k: v}}`, then
 * the data section; offsets are relative to its start, tensors tile it without gaps or overlap,
 * values are little-endian in C order. Pure functions on bytes; file I/O is in safetensors-file.ts.
 */

export type SafetensorsMetadata = Record<string, string>;

export interface SafetensorsEntry {
  name: string;
  dtype: StoredDtype;
  shape: number[];
  /** [begin, end) in bytes, relative to the data section. */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  /** Entries sorted by data offset (file order). */
  entries: SafetensorsEntry[];
  metadata: SafetensorsMetadata;
  /** Byte offset of the data section in the file: 8 + header length. */
  dataStart: number;
}

export interface SafetensorsContents {
  tensors: TensorMap;
  metadata: SafetensorsMetadata;
}

/** Readers refuse larger headers, as the reference implementation does (a corrupt length). */
export const MAX_HEADER_BYTES = 100_000_000;

/** Dtypes of the format that we recognise but cannot decode into a tfjs-compatible array. */
const UNSUPPORTED_DTYPES = new Set(['U32', 'U64', 'F8_E5M2', 'F8_E4M3', 'F8_E4M3FN', 'F8_E8M0', 'F4', 'F6_E2M3', 'F6_E3M2', 'C64']);

/** The reference writer's dtype order (increasing alignment); it sorts by it, descending, then by name. */
const WRITE_RANK: Record<StoredDtype, number> = { BOOL: 0, U8: 1, I8: 2, I16: 5, U16: 6, F16: 7, BF16: 8, I32: 9, F32: 11, F64: 12, I64: 13 };

/**
 * Reads the header length from the first 8 bytes of a file of `fileSize` bytes and checks it
 * against the file size. Returns the header length in bytes.
 */
export function parseHeaderLength(first8: Uint8Array, fileSize: number, source: string): number {
  if (fileSize < 8) throw new Error(`${source}: truncated: ${fileSize} bytes, shorter than the 8-byte header length of a safetensors file`);
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) throw new Error(`${source}: header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file, or corrupt)`);
  if (8 + Number(n) > fileSize) {
    throw new Error(`${source}: header length ${n} runs past the end of the file (${fileSize} bytes; truncated or not a safetensors file)`);
  }
  return Number(n);
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ');
}

/**
 * Parses and validates the JSON header. `dataLength` is the size of the data section (file
 * size - 8 - header length); every check that the reference reader makes is made here, each
 * failure a one-line error naming `source`.
 */
export function parseSafetensorsHeader(headerBytes: Uint8Array, dataLength: number, source: string): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new Error(`${source}: header is not valid UTF-8`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: header is not valid JSON (${oneLine((e as Error).message)})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`${source}: header must be a JSON object, got ${Array.isArray(json) ? 'an array' : json === null ? 'null' : typeof json}`);
  }
  let metadata: SafetensorsMetadata = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, info] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') metadata = parseMetadata(info, source);
    else entries.push(parseEntry(name, info, source));
  }
  entries.sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  checkTiling(entries, dataLength, source);
  return { entries, metadata, dataStart: 8 + headerBytes.byteLength };
}

function parseMetadata(info: unknown, source: string): SafetensorsMetadata {
  if (typeof info !== 'object' || info === null || Array.isArray(info)) throw new Error(`${source}: __metadata__ must be an object of strings, got ${JSON.stringify(info)}`);
  for (const [k, v] of Object.entries(info)) {
    if (typeof v !== 'string') throw new Error(`${source}: __metadata__["${k}"] must be a string, got ${JSON.stringify(v)}`);
  }
  return { ...(info as SafetensorsMetadata) };
}

function parseEntry(name: string, info: unknown, source: string): SafetensorsEntry {
  const where = `${source}: tensor "${name}"`;
  if (typeof info !== 'object' || info === null || Array.isArray(info)) throw new Error(`${where} must be an object {dtype, shape, data_offsets}, got ${JSON.stringify(info)}`);
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (!isStoredDtype(dtype)) {
    if (typeof dtype === 'string' && UNSUPPORTED_DTYPES.has(dtype)) throw new Error(`${where} has dtype ${dtype}, which is not supported (supported: ${STORED_DTYPES.join(', ')})`);
    throw new Error(`${where} has unknown dtype ${JSON.stringify(dtype)} (supported: ${STORED_DTYPES.join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    throw new Error(`${where}: data_offsets must be two non-negative integers [begin, end], got ${JSON.stringify(offsets)}`);
  }
  return { name, dtype, shape: shape as number[], dataOffsets: [offsets[0] as number, offsets[1] as number] };
}

function checkTiling(entries: SafetensorsEntry[], dataLength: number, source: string): void {
  let covered = 0;
  let previous: SafetensorsEntry | undefined;
  for (const e of entries) {
    const [begin, end] = e.dataOffsets;
    const where = `${source}: tensor "${e.name}" data_offsets ${formatShape(e.dataOffsets)}`;
    if (end < begin) throw new Error(`${where} end before they begin`);
    const bytes = numElements(e.shape) * dtypeBytes(e.dtype);
    if (end - begin !== bytes) throw new Error(`${where} do not match shape ${formatShape(e.shape)} x ${e.dtype} (${bytes} bytes)`);
    if (end > dataLength) throw new Error(`${where} run past the end of the data section (${dataLength} bytes; file truncated?)`);
    if (begin < covered) throw new Error(`${where} overlap tensor "${previous!.name}" ${formatShape(previous!.dataOffsets)}`);
    if (begin > covered) throw new Error(`${where} leave bytes [${covered}, ${begin}) of the data section unused`);
    covered = end;
    previous = e;
  }
  if (covered !== dataLength) throw new Error(`${source}: tensors cover ${covered} bytes but the data section has ${dataLength} (trailing bytes after the last tensor)`);
}

/** Decodes every entry from `data` (the data section). Aligned dtypes become views on `data`. */
export function decodeSafetensors(header: SafetensorsHeader, data: Uint8Array, source: string): TensorMap {
  const tensors: TensorMap = new Map();
  for (const e of header.entries) {
    const bytes = data.subarray(e.dataOffsets[0], e.dataOffsets[1]);
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: decodeElements(bytes, e.dtype, `${source}: tensor "${e.name}"`) });
  }
  return tensors;
}

/** Parses a whole safetensors file held in memory. `source` names it in errors. */
export function parseSafetensors(bytes: Uint8Array, source = 'safetensors'): SafetensorsContents {
  const headerLength = parseHeaderLength(bytes.subarray(0, 8), bytes.byteLength, source);
  const header = parseSafetensorsHeader(bytes.subarray(8, 8 + headerLength), bytes.byteLength - 8 - headerLength, source);
  return { tensors: decodeSafetensors(header, bytes.subarray(header.dataStart), source), metadata: header.metadata };
}

export interface SafetensorsLayout {
  /** The 8-byte length and the space-padded JSON header. */
  head: Uint8Array;
  /** Tensors in data order. */
  order: [string, HostTensor][];
  /** Total file size in bytes. */
  size: number;
}

/** UTF-8 byte order (= code point order, which differs from UTF-16 `<` past U+FFFF). */
function compareUtf8(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * Lays tensors out as the reference writer does, so equal inputs give equal bytes: data sorted
 * by dtype alignment (largest first, which keeps every tensor aligned) then by name; JSON with
 * `__metadata__` first (keys sorted) and no spaces; header padded with spaces to 8 bytes.
 */
export function layoutSafetensors(tensors: TensorMap | Record<string, HostTensor>, metadata: SafetensorsMetadata = {}): SafetensorsLayout {
  const list = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  for (const [name, t] of list) {
    if (name === '__metadata__') throw new Error('safetensors: "__metadata__" cannot be a tensor name');
    checkHostTensor(t, `safetensors: tensor "${name}"`);
  }
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new Error(`safetensors: metadata["${k}"] must be a string, got ${JSON.stringify(v)}`);
  }
  list.sort(([an, a], [bn, b]) => WRITE_RANK[b.dtype] - WRITE_RANK[a.dtype] || compareUtf8(an, bn));
  const metaKeys = Object.keys(metadata).sort(compareUtf8);
  // JSON.stringify of one object would move integer-like names ("0") first; join parts in our order.
  const parts: string[] = [];
  if (metaKeys.length > 0) parts.push(`"__metadata__":{${metaKeys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(',')}}`);
  let offset = 0;
  for (const [name, t] of list) {
    const n = encodedByteLength(t);
    parts.push(`${JSON.stringify(name)}:${JSON.stringify({ dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + n] })}`);
    offset += n;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = json.length + ((8 - (json.length % 8)) % 8);
  const head = new Uint8Array(8 + padded).fill(0x20, 8 + json.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
  head.set(json, 8);
  return { head, order: list, size: head.length + offset };
}

/** The bytes of a safetensors file holding `tensors` (see layoutSafetensors for the layout). */
export function serializeSafetensors(tensors: TensorMap | Record<string, HostTensor>, metadata: SafetensorsMetadata = {}): Uint8Array {
  const layout = layoutSafetensors(tensors, metadata);
  const out = new Uint8Array(layout.size);
  out.set(layout.head, 0);
  let at = layout.head.length;
  for (const [, t] of layout.order) {
    const bytes = encodeElements(t);
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}
