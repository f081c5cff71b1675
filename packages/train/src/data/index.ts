export type {
  Batch, ClassificationDataset, ClassificationSample, LoaderOptions, LoaderSource, LoaderSourceFactory, WorkerFactorySpec,
} from './types.js';
export { parseIdx, readIdxFile, type IdxData } from './idx.js';
export { FashionMnist, FASHION_MNIST_CLASSES, FASHION_MNIST_DIR } from './fashion-mnist.js';
export { decodeImageRgb, ImageFolder, IMG_EXTENSIONS } from './image-folder.js';
export { epochOrder, sampleRng } from './sampling.js';
export { DataLoader, loaderWorkerScript } from './loader.js';
export {
  buildDataset, buildTransform, createLoaderSource, LimitedDataset, sourceWorkerFactory,
  type DatasetSpec, type SourceSpec, type TransformStep,
} from './source.js';
