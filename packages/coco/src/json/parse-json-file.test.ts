import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJsonBytes, parseJsonFile } from './parse-json-bytes.js';

const dir = mkdtempSync(join(tmpdir(), 'tfvision-json-window-'));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function errorMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
}

// A COCO-like document, pretty-printed so lines and columns matter.
const doc = {
  images: Array.from({ length: 30 }, (_, i) => ({ id: i + 1, width: 640, height: 480, file_name: `${i}.jpg`, note: 'ünïcode ✓ "quoted"' })),
  annotations: Array.from({ length: 60 }, (_, i) => ({
    id: i + 1,
    image_id: (i % 30) + 1,
    bbox: [i * 1.5, -2.25, 10, 1e-3 * i],
    segmentation: i % 7 === 0 ? { size: [480, 640], counts: 'abcPQR0o' } : [[1.5, 2, 3, 4.25, 5, 6, -0.5, 1e5]],
    area: i * 3.75,
    iscrowd: i % 7 === 0 ? 1 : 0,
  })),
  mixed: [1, 'a', null, true, false, [], {}, [[[]]]],
};

describe('parseJsonFile (sliding window)', () => {
  it('gives the same value as JSON.parse for every small window size', () => {
    const text = JSON.stringify(doc, null, 2);
    const path = write('doc.json', text);
    for (const [windowBytes, maxToken] of [
      [80, 40],
      [97, 48],
      [256, 100],
      [4096, 1000],
    ]) {
      expect(parseJsonFile(path, windowBytes, maxToken)).toEqual(JSON.parse(text));
    }
    expect(parseJsonFile(path)).toEqual(JSON.parse(text));
  });

  it('locates errors at the same byte, line and column as the in-memory parser', () => {
    const text = JSON.stringify(doc, null, 2);
    // Cut points all through the file, and a corrupted byte at the same places.
    for (let cut = 1; cut < text.length; cut += 97) {
      const truncated = text.slice(0, cut);
      const bytes = Buffer.from(truncated);
      const expected = errorMessage(() => parseJsonBytes(bytes, 'f.json'));
      const path = write('f.json', truncated);
      expect(errorMessage(() => parseJsonFile(path, 96, 64)).replace(path, 'f.json')).toBe(expected);
      const corrupt = `${text.slice(0, cut)}#${text.slice(cut + 1)}`;
      const p2 = write('g.json', corrupt);
      expect(errorMessage(() => parseJsonFile(p2, 96, 64)).replace(p2, 'g.json')).toBe(errorMessage(() => parseJsonBytes(Buffer.from(corrupt), 'g.json')));
    }
  });

  it('handles empty files, files that exactly fill the window, and overlong tokens', () => {
    expect(errorMessage(() => parseJsonFile(write('empty.json', '')))).toMatch(/invalid JSON at byte 0 \(line 1, column 1\): unexpected end of input/);
    const exact = '[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]';
    expect(parseJsonFile(write('exact.json', exact), exact.length, 8)).toEqual(JSON.parse(exact));
    const long = write('long.json', `["${'x'.repeat(100)}"]`);
    expect(errorMessage(() => parseJsonFile(long, 64, 32))).toBe(`${long}: invalid JSON at byte 64 (line 1, column 65): a single value longer than 32 bytes is not supported`);
    expect(parseJsonFile(long, 256, 128)).toEqual(['x'.repeat(100)]);
    expect(errorMessage(() => parseJsonFile(join(dir, 'none.json')))).toBe(`${join(dir, 'none.json')}: cannot read file: ENOENT`);
  });
});
