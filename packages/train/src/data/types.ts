/** Dataset and batch types shared by the readers, the loader and the trainer. */
import type { ImageTransform, ImageU8 } from '../augment/image.js';

export interface ClassificationSample {
  image: ImageU8;
  label: number;
}

export interface ClassificationDataset {
  readonly length: number;
  /** Class names; the label of a sample is its index here. */
  readonly classes: string[];
  get(i: number): Promise<ClassificationSample>;
}

/** One batch, images NHWC float32 normalised as `(x/255 - mean) / std`. */
export interface Batch {
  images: Float32Array;
  labels: Int32Array;
  n: number;
  height: number;
  width: number;
  channels: number;
  /** Dataset index of each sample in the batch. */
  indices: Int32Array;
}

export interface LoaderOptions {
  batchSize: number;
  shuffle: boolean;
  dropLast: boolean;
  seed: number;
  transform: ImageTransform;
  mean: number[];
  std: number[];
  /** Worker threads running decode + transform; 0 runs in-process. */
  workers?: number;
  /** Batches in flight ahead of the consumer (default 2, or 2 per worker). */
  prefetch?: number;
  /**
   * Required when `workers > 0`: closures cannot cross threads, so each worker imports this
   * module and calls its factory to rebuild the same dataset and transform.
   */
  workerFactory?: WorkerFactorySpec;
}

/** Names an ES module export `(args) => LoaderSource` that worker threads call once at start. */
export interface WorkerFactorySpec {
  /** Absolute path or file: URL of a JavaScript ES module (workers cannot load .ts). */
  module: string;
  /** Export to call; default 'createLoaderSource'. */
  exportName?: string;
  /** Structured-clonable argument for the factory (e.g. the dataset root and crop size). */
  args?: unknown;
}

/** What a worker factory returns. */
export interface LoaderSource {
  dataset: ClassificationDataset;
  transform: ImageTransform;
}

export type LoaderSourceFactory = (args: unknown) => LoaderSource | Promise<LoaderSource>;
