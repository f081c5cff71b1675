/**
 * Fashion-MNIST (Xiao et al. 2017) from its four IDX files, as Debian's `dataset-fashion-mnist`
 * installs them in /usr/share/datasets/fashion-mnist. 28x28 grayscale, 10 classes.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageU8 } from '../augment/image.js';
import { readIdxFile } from './idx.js';
import type { ClassificationDataset, ClassificationSample } from './types.js';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

const PREFIX = { train: 'train', test: 't10k' } as const;

function findFile(dir: string, base: string): string {
  for (const name of [`${base}.gz`, base]) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  throw new Error(`FashionMnist: neither ${base}.gz nor ${base} found in ${dir} (install Debian's dataset-fashion-mnist or pass the directory)`);
}

export class FashionMnist implements ClassificationDataset {
  readonly classes = FASHION_MNIST_CLASSES.slice();
  readonly height: number;
  readonly width: number;

  private constructor(private readonly pixels: Uint8Array, readonly labels: Uint8Array, height: number, width: number) {
    this.height = height;
    this.width = width;
  }

  /** Loads a split (`train`: 60000 images, `test`: 10000) from `dir`, files raw or gzipped. */
  static load(dir: string = FASHION_MNIST_DIR, split: 'train' | 'test' = 'train'): FashionMnist {
    if (split !== 'train' && split !== 'test') throw new Error(`FashionMnist: split must be 'train' or 'test', got '${String(split)}'`);
    const imagesPath = findFile(dir, `${PREFIX[split]}-images-idx3-ubyte`);
    const labelsPath = findFile(dir, `${PREFIX[split]}-labels-idx1-ubyte`);
    const images = readIdxFile(imagesPath);
    const labels = readIdxFile(labelsPath);
    if (images.dims.length !== 3) throw new Error(`${imagesPath}: expected 3 dims [n, rows, cols], got [${images.dims.join(', ')}]`);
    if (labels.dims.length !== 1) throw new Error(`${labelsPath}: expected 1 dim [n], got [${labels.dims.join(', ')}]`);
    if (images.dims[0] !== labels.dims[0]) {
      throw new Error(`FashionMnist: ${imagesPath} has ${images.dims[0]} images but ${labelsPath} has ${labels.dims[0]} labels`);
    }
    for (let i = 0; i < labels.data.length; i++) {
      if (labels.data[i] >= FASHION_MNIST_CLASSES.length) throw new Error(`${labelsPath}: label[${i}] = ${labels.data[i]} is outside 0..9`);
    }
    return new FashionMnist(images.data, labels.data, images.dims[1], images.dims[2]);
  }

  get length(): number {
    return this.labels.length;
  }

  /** Synchronous access for in-process loops; `get` wraps it. The image is a copy. */
  sample(i: number): ClassificationSample {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) throw new Error(`FashionMnist: index ${i} is outside 0..${this.length - 1}`);
    const size = this.height * this.width;
    const image: ImageU8 = { data: this.pixels.slice(i * size, (i + 1) * size), height: this.height, width: this.width, channels: 1 };
    return { image, label: this.labels[i] };
  }

  get(i: number): Promise<ClassificationSample> {
    try {
      return Promise.resolve(this.sample(i));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }
}
