/**
 * The training streams of a run are functions of (seed, step): StepRandomSources' resize draws
 * and permutations, and the multi-scale sizes a detector built by buildSeeded draws from them, so
 * a model rebuilt at step s (a resumed run) resizes every image as the first did. Both families:
 * Cascade R-CNN (Detectron2Transform) and Faster R-CNN (GeneralizedRCNNTransform).
 */
import * as tf from '@tensorflow/tfjs-core';
import { detectorConfig, type CascadeRcnnConfig } from '@tfvision/heads';
import { initBackend } from '@tfvision/nn';
import { Rng } from '../rng.js';
import { buildSeeded } from './build-detector.js';
import { detectionModelConfig, validateDetectionConfig } from './detection-config.js';
import { tinyCascadeConfig } from './detection-test-configs.js';
import { StepRandomSources } from './step-resize-random.js';
import { StepRandperm } from './step-randperm.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

describe('StepRandomSources', () => {
  it('gives the same draws for the same (seed, step), other draws at other steps, and StepRandperm permutations unchanged', () => {
    const a = new StepRandomSources(3);
    const b = new StepRandomSources(3);
    const plain = new StepRandperm(3);
    a.setStep(7);
    const u7 = [a.resizeRandom(), a.resizeRandom()];
    const p7 = Array.from(a.source(10));
    b.setStep(2);
    b.resizeRandom();
    b.setStep(7);
    expect([b.resizeRandom(), b.resizeRandom()]).toEqual(u7);
    plain.setStep(7);
    expect(Array.from(plain.source(10))).toEqual(p7);
    // The resize stream is its own fork of the seed: step 7's draws are those of fork(0x5e512e).fork(7).
    const independent = new Rng(3).fork(0x5e512e).fork(7);
    expect(u7).toEqual([independent.next(), independent.next()]);
    a.setStep(8);
    expect(a.resizeRandom()).not.toBe(u7[0]);
    expect(u7.every((u) => u >= 0 && u < 1)).toBe(true);
  });
});

describe('multi-scale training sizes are functions of (seed, step)', () => {
  const sizesAt = (draws: number[], choices: number[]) => draws.map((u) => choices[Math.floor(u * choices.length)]);

  it('Cascade R-CNN (Detectron2Transform): a model rebuilt at step s draws the sizes the first drew', () => {
    const raw = tinyCascadeConfig('/unused');
    const config = validateDetectionConfig({ ...raw, model: { ...(raw.model as object), transform: { minSizeRange: [40, 48], maxSizeTrain: 1000, minSizeTest: 48, maxSizeTest: 1000 } } }, 'ms-cascade');
    const modelConfig = detectionModelConfig(config, 3) as CascadeRcnnConfig;
    const run = (step: number) => {
      const sources = new StepRandomSources(config.seed);
      const model = buildSeeded(modelConfig, sources, config.seed);
      model.train();
      sources.setStep(step);
      const sizes = [0, 1, 2, 3].map(() => model.transform.resizedSize(20, 30)[0]);
      model.dispose();
      return sizes;
    };
    const first = run(5);
    expect(run(5)).toEqual(first);
    const stream = new Rng(config.seed).fork(0x5e512e).fork(5);
    expect(first).toEqual(sizesAt([0, 1, 2, 3].map(() => stream.next()), [40, 41, 42, 43, 44, 45, 46, 47, 48]));
    expect(run(6)).not.toEqual(first);
  });

  it('Faster R-CNN (GeneralizedRCNNTransform): the same', () => {
    const config = detectorConfig('fasterrcnn_resnest14d_fpn', { numClasses: 3, neck: { outChannels: 16 }, transform: { minSize: [32, 40, 48], maxSize: 1000 } });
    const images = [0, 1, 2].map(() => tf.zeros([20, 30, 3]) as tf.Tensor3D);
    const run = (step: number) => {
      const sources = new StepRandomSources(9);
      const model = buildSeeded(config, sources, 9);
      model.train();
      sources.setStep(step);
      const out = model.transform.forward(images);
      out.images.tensor.dispose();
      model.dispose();
      return out.images.imageSizes.map(([h]) => h);
    };
    const first = run(11);
    expect(run(11)).toEqual(first);
    const stream = new Rng(9).fork(0x5e512e).fork(11);
    expect(first).toEqual(sizesAt([0, 1, 2].map(() => stream.next()), [32, 40, 48]));
    tf.dispose(images);
  });
});
