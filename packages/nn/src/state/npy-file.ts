import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic-write.js';
import { encodeElements } from './codec.js';
import { checkHostTensor, type HostTensor } from './host-tensor.js';
import { npyHeader, parseNpy } from './npy.js';

/** Reads a .npy file (see parseNpy); errors name `path`. */
export function readNpy(path: string): HostTensor {
  const buf = readFileSync(path);
  return parseNpy(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
}

/** Writes a .npy file atomically (temporary file, fsync, rename). */
export function writeNpy(path: string, t: HostTensor): void {
  checkHostTensor(t, path);
  writeFileAtomic(path, [npyHeader(t), encodeElements(t)]);
}
