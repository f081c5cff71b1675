import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { ImageFolder } from './image-folder.js';

async function png(path: string, w: number, h: number, channels: 1 | 3 | 4, value: number[]): Promise<void> {
  const data = Buffer.alloc(w * h * channels);
  for (let i = 0; i < data.length; i++) data[i] = value[i % channels];
  await sharp(data, { raw: { width: w, height: h, channels } }).png().toFile(path);
}

describe('ImageFolder', () => {
  let root: string;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'imgfolder-'));
    for (const c of ['dog', 'Cat', 'ant']) mkdirSync(join(root, c));
    mkdirSync(join(root, 'dog', 'sub'));
    await png(join(root, 'dog', 'b.png'), 3, 2, 3, [10, 20, 30]);
    await png(join(root, 'dog', 'a.png'), 2, 2, 1, [77]); // grayscale -> RGB
    await png(join(root, 'dog', 'sub', 'c.png'), 2, 2, 4, [1, 2, 3, 128]); // alpha dropped
    writeFileSync(join(root, 'dog', 'notes.txt'), 'not an image');
    await sharp(Buffer.alloc(4 * 4 * 3, 200), { raw: { width: 4, height: 4, channels: 3 } }).jpeg({ quality: 100 }).toFile(join(root, 'Cat', 'x.JPEG'));
    await png(join(root, 'ant', 'z.webp.png'), 1, 1, 3, [5, 6, 7]);
    writeFileSync(join(root, 'stray.png'), 'files at the root are not classes');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('indexes classes by code-point-sorted folder names and files in walk order', () => {
    const ds = new ImageFolder(root);
    expect(ds.classes).toEqual(['Cat', 'ant', 'dog']);
    expect(ds.samples.map((s) => [s.path.slice(root.length + 1), s.label])).toEqual([
      ['Cat/x.JPEG', 0], ['ant/z.webp.png', 1], ['dog/a.png', 2], ['dog/b.png', 2], ['dog/sub/c.png', 2],
    ]);
  });

  it('decodes to 8-bit RGB HWC', async () => {
    const ds = new ImageFolder(root);
    const gray = await ds.get(2);
    expect(gray.image.channels).toBe(3);
    expect(Array.from(gray.image.data)).toEqual(new Array<number>(12).fill(77));
    const rgb = await ds.get(3);
    expect([rgb.image.height, rgb.image.width]).toEqual([2, 3]);
    expect(Array.from(rgb.image.data.slice(0, 6))).toEqual([10, 20, 30, 10, 20, 30]);
    const rgba = await ds.get(4);
    expect(Array.from(rgba.image.data.slice(0, 3))).toEqual([1, 2, 3]);
    const jpeg = await ds.get(0);
    expect(Math.abs(jpeg.image.data[0] - 200)).toBeLessThanOrEqual(1);
  });

  it('rejects an empty class folder and a root without classes, naming them', () => {
    const r2 = mkdtempSync(join(tmpdir(), 'imgfolder-'));
    try {
      expect(() => new ImageFolder(r2)).toThrow(`ImageFolder: no class folders found in ${r2}`);
      mkdirSync(join(r2, 'empty'));
      expect(() => new ImageFolder(r2)).toThrow(`ImageFolder: no image files in class folder(s) 'empty' of ${r2}; supported extensions: .jpg .jpeg`);
      expect(() => new ImageFolder(join(r2, 'nope'))).toThrow(`ImageFolder: ${join(r2, 'nope')} is not a directory`);
    } finally {
      rmSync(r2, { recursive: true, force: true });
    }
  });

  it('reports undecodable files by path', async () => {
    const r3 = mkdtempSync(join(tmpdir(), 'imgfolder-'));
    try {
      mkdirSync(join(r3, 'c'));
      writeFileSync(join(r3, 'c', 'broken.jpg'), 'not a jpeg');
      await expect(new ImageFolder(r3).get(0)).rejects.toThrow(`${join(r3, 'c', 'broken.jpg')}: cannot decode image`);
    } finally {
      rmSync(r3, { recursive: true, force: true });
    }
  });
});
