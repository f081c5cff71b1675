import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';

describe('writeFileAtomic', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tfvision-atomic-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes all chunks and replaces the old file', () => {
    const path = join(dir, 'f.bin');
    writeFileSync(path, 'old');
    writeFileAtomic(path, [new Uint8Array([1, 2]), new Uint8Array(0), new Uint8Array([3])]);
    expect(Array.from(readFileSync(path))).toEqual([1, 2, 3]);
    expect(readdirSync(dir)).toEqual(['f.bin']);
  });

  it('keeps the old file and removes the temporary one when producing a chunk fails', () => {
    const path = join(dir, 'f.bin');
    writeFileSync(path, 'old');
    function* failing(): Generator<Uint8Array> {
      yield new Uint8Array([1, 2, 3]);
      throw new Error('encoder failed');
    }
    expect(() => writeFileAtomic(path, failing())).toThrow('encoder failed');
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['f.bin']);
  });
});
