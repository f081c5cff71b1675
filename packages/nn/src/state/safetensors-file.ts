import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { writeFileAtomic } from './atomic-write.js';
import { encodeElements } from './codec.js';
import type { HostTensor, TensorMap } from './host-tensor.js';
import {
  decodeSafetensors, layoutSafetensors, parseHeaderLength, parseSafetensorsHeader,
  type SafetensorsContents, type SafetensorsHeader, type SafetensorsMetadata,
} from './safetensors.js';

/** Reads up to 1 GiB per call: readSync's length is an int32. */
const READ_CHUNK = 1 << 30;

function readExactly(fd: number, into: Uint8Array, position: number, path: string): void {
  let done = 0;
  while (done < into.byteLength) {
    const n = readSync(fd, into, done, Math.min(READ_CHUNK, into.byteLength - done), position + done);
    if (n === 0) throw new Error(`${path}: file shrank while being read (got ${done} of ${into.byteLength} bytes at offset ${position})`);
    done += n;
  }
}

function withFile<T>(path: string, body: (fd: number, size: number) => T): T {
  const fd = openSync(path, 'r');
  try {
    return body(fd, fstatSync(fd).size);
  } finally {
    closeSync(fd);
  }
}

function readHeader(fd: number, size: number, path: string): SafetensorsHeader {
  const first8 = new Uint8Array(Math.min(8, size));
  readExactly(fd, first8, 0, path);
  const headerLength = parseHeaderLength(first8, size, path);
  const headerBytes = new Uint8Array(headerLength);
  readExactly(fd, headerBytes, 8, path);
  return parseSafetensorsHeader(headerBytes, size - 8 - headerLength, path);
}

/** The validated header of a safetensors file (names, dtypes, shapes, metadata) without its data. */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  return withFile(path, (fd, size) => readHeader(fd, size, path));
}

/**
 * Reads a safetensors file. The data section is read once into a fresh buffer (8-byte aligned,
 * so F32/I32/F64 tensors written by any conforming writer are views on it, not copies); files
 * over 2 GiB work, unlike readFileSync. Malformed files throw one line naming `path`.
 */
export function readSafetensors(path: string): SafetensorsContents {
  return withFile(path, (fd, size) => {
    const header = readHeader(fd, size, path);
    let data: Uint8Array;
    try {
      data = new Uint8Array(size - header.dataStart);
    } catch {
      throw new Error(`${path}: data section of ${size - header.dataStart} bytes does not fit in one buffer on this platform`);
    }
    readExactly(fd, data, header.dataStart, path);
    return { tensors: decodeSafetensors(header, data, path), metadata: header.metadata };
  });
}

/**
 * Writes a safetensors file atomically (temporary file, fsync, rename), with the reference
 * writer's deterministic layout. Loadable by `safetensors.torch.load_file`.
 */
export function writeSafetensors(path: string, tensors: TensorMap | Record<string, HostTensor>, metadata: SafetensorsMetadata = {}): void {
  const layout = layoutSafetensors(tensors, metadata);
  function* chunks(): Generator<Uint8Array> {
    yield layout.head;
    for (const [, t] of layout.order) yield encodeElements(t);
  }
  writeFileAtomic(path, chunks());
}
