import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FASHION_MNIST_DIR, FashionMnist } from './fashion-mnist.js';
import { idxBytes } from './__tests__/idx-bytes.js';

describe('FashionMnist on a tiny IDX set', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fmnist-'));
    // 3 test images of 2x2, labels 9, 0, 4.
    writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(idxBytes([3, 2, 2], [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23])));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idxBytes([3], [9, 0, 4]));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('returns 1-channel images and labels by index', async () => {
    const ds = FashionMnist.load(dir, 'test');
    expect(ds.length).toBe(3);
    expect(ds.classes[9]).toBe('Ankle boot');
    const s = await ds.get(1);
    expect(s.label).toBe(0);
    expect(s.image).toEqual({ data: new Uint8Array([10, 11, 12, 13]), height: 2, width: 2, channels: 1 });
    await expect(ds.get(3)).rejects.toThrow('FashionMnist: index 3 is outside 0..2');
  });

  it('says which file is missing', () => {
    expect(() => FashionMnist.load(dir, 'train')).toThrow(`FashionMnist: neither train-images-idx3-ubyte.gz nor train-images-idx3-ubyte found in ${dir}`);
  });
});

const haveReal = existsSync(join(FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz'));
(haveReal ? describe : describe.skip)(`FashionMnist from ${FASHION_MNIST_DIR} (skipped when absent)`, () => {
  it('test split has 10000 28x28 images, 1000 per class', () => {
    const ds = FashionMnist.load(FASHION_MNIST_DIR, 'test');
    expect([ds.length, ds.height, ds.width]).toEqual([10000, 28, 28]);
    const counts = new Array<number>(10).fill(0);
    for (const y of ds.labels) counts[y]++;
    expect(counts).toEqual(new Array<number>(10).fill(1000));
  });
});
