export type {
  Batch, ClassificationDataset, ClassificationSample, LoaderOptions, LoaderSource, LoaderSourceFactory, WorkerFactorySpec,
} from './types.js';
export { parseIdx, readIdxFile, type IdxData } from './idx.js';
export { FashionMnist, FASHION_MNIST_CLASSES, FASHION_MNIST_DIR } from './fashion-mnist.js';
export { decodeImageRgb, ImageFolder, IMG_EXTENSIONS } from './image-folder.js';
export { epochOrder, indexStreams, positionStreams, sampleRng, type SamplingRule } from './sampling.js';
export { assembleBatch, type BatchRecipe, type IndexedDataset, type RecipeFactorySpec, type Slot } from './batch-recipe.js';
export { StepLoader, type StepLoaderOptions } from './step-loader.js';
export { compiledModule } from './worker-pool.js';
export { classificationRecipe } from './classification-recipe.js';
export { DataLoader } from './loader.js';
export {
  buildDataset, buildTransform, createLoaderSource, LimitedDataset, sourceWorkerFactory,
  type DatasetSpec, type SourceSpec, type TransformStep,
} from './source.js';
