/**
 * Datasets and transform pipelines described as plain data, so the same recipe can be built in
 * the main thread and in DataLoader worker threads (which receive only structured-clonable
 * values). `sourceWorkerFactory(spec)` is the LoaderOptions.workerFactory for such a spec.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compose } from '@tfvision/coco';
import { autoAugment } from '../augment/auto-augment.js';
import { colorJitter } from '../augment/color-jitter.js';
import { resizeShortCenterCrop } from '../augment/eval-transform.js';
import { randomHorizontalFlip } from '../augment/flip.js';
import type { ImageTransform } from '../augment/image.js';
import { lighting } from '../augment/lighting.js';
import { randAugment } from '../augment/rand-augment.js';
import { randomCrop } from '../augment/random-crop.js';
import { randomResizedCrop } from '../augment/random-resized-crop.js';
import { FashionMnist } from './fashion-mnist.js';
import { ImageFolder } from './image-folder.js';
import type { ClassificationDataset, LoaderSource, WorkerFactorySpec } from './types.js';

export type DatasetSpec =
  | { kind: 'image-folder'; root: string; limit?: number }
  | { kind: 'fashion-mnist'; dir?: string; split: 'train' | 'test'; limit?: number };

type Interp = 'bilinear' | 'bicubic';

/** One pipeline step; names and options follow the augment/ functions of the same name. */
export type TransformStep =
  | { op: 'randomResizedCrop'; size: number | [number, number]; scale?: [number, number]; ratio?: [number, number]; interpolation?: Interp }
  | { op: 'randomCrop'; size: number; padding?: number }
  | { op: 'randomHorizontalFlip'; p?: number }
  | { op: 'colorJitter'; brightness?: number; contrast?: number; saturation?: number; hue?: number }
  | { op: 'lighting'; alphaStd?: number }
  | { op: 'autoAugment'; policy?: 'imagenet' }
  | { op: 'randAugment'; numOps?: number; magnitude?: number; numMagnitudeBins?: number }
  | { op: 'resizeShortCenterCrop'; crop: number; cropPct: number; interpolation?: Interp };

export interface SourceSpec {
  dataset: DatasetSpec;
  transform: TransformStep[];
}

/**
 * `limit` samples of a dataset for smoke runs, evenly spaced (sample k is inner index
 * floor(k * length / limit)) so a class-sorted folder dataset still shows every class.
 */
export class LimitedDataset implements ClassificationDataset {
  readonly length: number;
  private readonly stride: number;
  constructor(private readonly inner: ClassificationDataset, limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`dataset limit must be a positive integer, got ${limit}`);
    this.length = Math.min(limit, inner.length);
    this.stride = inner.length / this.length;
  }
  get classes(): string[] {
    return this.inner.classes;
  }
  /** The inner dataset's index of sample `i`. */
  innerIndex(i: number): number {
    return Math.floor(i * this.stride);
  }
  get(i: number): ReturnType<ClassificationDataset['get']> {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) return Promise.reject(new Error(`dataset index ${i} is outside 0..${this.length - 1}`));
    return this.inner.get(this.innerIndex(i));
  }
}

export function buildDataset(spec: DatasetSpec): ClassificationDataset {
  let ds: ClassificationDataset;
  switch (spec.kind) {
    case 'image-folder':
      ds = new ImageFolder(spec.root);
      break;
    case 'fashion-mnist':
      ds = FashionMnist.load(spec.dir, spec.split);
      break;
    default:
      throw new Error(`dataset.kind must be 'image-folder' or 'fashion-mnist', got '${String((spec as { kind: unknown }).kind)}'`);
  }
  return spec.limit !== undefined ? new LimitedDataset(ds, spec.limit) : ds;
}

function buildStep(s: TransformStep, i: number): ImageTransform {
  switch (s.op) {
    case 'randomResizedCrop':
      return randomResizedCrop(s.size, { scale: s.scale, ratio: s.ratio, interpolation: s.interpolation });
    case 'randomCrop':
      return randomCrop(s.size, s.padding ?? 0);
    case 'randomHorizontalFlip':
      return randomHorizontalFlip(s.p ?? 0.5);
    case 'colorJitter':
      return colorJitter({ brightness: s.brightness, contrast: s.contrast, saturation: s.saturation, hue: s.hue });
    case 'lighting':
      return lighting(s.alphaStd ?? 0.1);
    case 'autoAugment':
      return autoAugment(s.policy ?? 'imagenet');
    case 'randAugment':
      return randAugment({ numOps: s.numOps, magnitude: s.magnitude, numMagnitudeBins: s.numMagnitudeBins });
    case 'resizeShortCenterCrop':
      return resizeShortCenterCrop(s.crop, s.cropPct, s.interpolation ?? 'bilinear');
    default:
      throw new Error(`transform[${i}].op: unknown step '${String((s as { op: unknown }).op)}'`);
  }
}

export function buildTransform(steps: TransformStep[]): ImageTransform {
  if (!Array.isArray(steps)) throw new Error('transform: expected an array of steps');
  return compose(...steps.map(buildStep));
}

/** The worker factory entry point (also usable in-process). */
export function createLoaderSource(spec: SourceSpec): LoaderSource {
  return { dataset: buildDataset(spec.dataset), transform: buildTransform(spec.transform) };
}

/** LoaderOptions.workerFactory that makes each worker call createLoaderSource(spec) from the built module. */
export function sourceWorkerFactory(spec: SourceSpec): WorkerFactorySpec {
  let module = fileURLToPath(new URL('./source.js', import.meta.url));
  // From src/ (tests, ts runners) the workers still need the compiled module in dist/.
  if (!existsSync(module)) module = fileURLToPath(new URL('../../dist/data/source.js', import.meta.url));
  return { module, exportName: 'createLoaderSource', args: structuredClone(spec) };
}
