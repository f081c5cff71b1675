import { getModelEntry, ResNet, RESNET_VARIANTS, type Backbone, type BackboneOptions } from '@tfvision/backbones';
import { setInitSeed } from '@tfvision/nn';
import { randomHorizontalFlip } from '../augment/index.js';
import { DataLoader, type ClassificationDataset, type ClassificationSample } from '../data/index.js';
import { Rng } from '../rng.js';

/**
 * A tiny labelled image set for trainer tests: each class is a bright square at its own
 * place on a noisy background, so a small network learns it in a few steps.
 */
export class SquaresDataset implements ClassificationDataset {
  readonly classes: string[];
  constructor(readonly length: number, readonly size = 8, numClasses = 3, private readonly seed = 0) {
    this.classes = Array.from({ length: numClasses }, (_, i) => `c${i}`);
  }
  async get(i: number): Promise<ClassificationSample> {
    const rng = new Rng(this.seed).fork(i);
    const label = i % this.classes.length;
    const s = this.size;
    const data = new Uint8Array(s * s);
    for (let k = 0; k < data.length; k++) data[k] = rng.int(60);
    const at = (label * Math.floor(s / this.classes.length)) % (s - 2);
    for (let y = at; y < at + 3; y++) for (let x = at; x < at + 3; x++) data[y * s + x] = 255;
    return { image: { data, height: s, width: s, channels: 1 }, label };
  }
}

/** A narrow ResNet (one basic block per stage, no stem pooling) for 1-channel test images. */
export function tinyResNet(numClasses: number, seed: number, options: BackboneOptions = {}): Backbone {
  setInitSeed(seed);
  return new ResNet(
    { ...RESNET_VARIANTS.resnet18.args, layers: [1, 1, 1, 1], channels: [4, 4, 8, 8], stemStride: 1, stemPool: false },
    { numClasses, inChans: 1, ...options },
    getModelEntry('resnet18').defaultCfg,
  );
}

export function squaresLoader(ds: ClassificationDataset, batchSize: number, train: boolean, seed = 0): DataLoader {
  return new DataLoader(ds, { batchSize, shuffle: train, dropLast: train, seed, transform: train ? randomHorizontalFlip(0.5) : (img) => img, mean: [0.2], std: [0.3], workers: 0 });
}
