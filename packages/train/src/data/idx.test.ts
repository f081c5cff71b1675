import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { idxBytes } from './__tests__/idx-bytes.js';
import { parseIdx, readIdxFile } from './idx.js';

describe('readIdxFile', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'idx-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads raw and gzipped files with their dims', () => {
    const bytes = idxBytes([2, 2, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]);
    writeFileSync(join(dir, 'a-idx3-ubyte'), bytes);
    writeFileSync(join(dir, 'a-idx3-ubyte.gz'), gzipSync(bytes));
    for (const name of ['a-idx3-ubyte', 'a-idx3-ubyte.gz']) {
      const r = readIdxFile(join(dir, name));
      expect(r.dims).toEqual([2, 2, 3]);
      expect(Array.from(r.data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]);
    }
  });

  it('names the file and the problem on bad input', () => {
    const p = join(dir, 'bad');
    writeFileSync(p, Buffer.from([1, 2, 8, 1, 0, 0, 0, 1, 7]));
    expect(() => readIdxFile(p)).toThrow(`${p}: bad IDX magic: expected 0x0000 then type and rank, got 0x0102`);
    expect(() => parseIdx(idxBytes([3], [1, 2]), 'labels.idx')).toThrow('labels.idx: IDX dims [3] need 3 bytes of data, file has 2');
    expect(() => parseIdx(idxBytes([1], [0, 0, 0, 0], 0x0d), 'f.idx')).toThrow('f.idx: IDX element type 0x0d (float32) is not supported; only 0x08 (uint8)');
    expect(() => readIdxFile(join(dir, 'missing'))).toThrow(`${join(dir, 'missing')}: cannot read IDX file (ENOENT)`);
  });
});
