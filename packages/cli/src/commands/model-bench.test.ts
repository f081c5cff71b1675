import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { BatchNorm2d, Conv2d, GlobalAvgPool, Layer, Linear, initBackend } from '@tfvision/nn';
import { UsageError } from '../command.js';
import { benchModel, defaultGradCheckpointing, runModelBench } from './model-bench.js';

class Small extends Layer<tf.Tensor4D, tf.Tensor2D> {
  readonly conv = this.registerModule('conv', new Conv2d({ inChannels: 3, outChannels: 8, kernelSize: 3, stride: 2 }));
  readonly bn = this.registerModule('bn', new BatchNorm2d({ numFeatures: 8 }));
  readonly grouped = this.registerModule('grouped', new Conv2d({ inChannels: 8, outChannels: 8, kernelSize: 3, groups: 4 }));
  readonly pool = this.registerModule('pool', new GlobalAvgPool());
  readonly fc = this.registerModule('fc', new Linear({ inFeatures: 8, outFeatures: 3 }));
  forward(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.fc.forward(this.pool.forward(tf.relu(this.grouped.forward(tf.relu(this.bn.forward(this.conv.forward(x))))))));
  }
}

describe.each(['cpu', 'wasm'])('benchModel on %s', (backend) => {
  beforeAll(async () => {
    await initBackend({ backend, report: false });
  });

  it.each(['infer', 'train'] as const)('%s: reports images/s from the median and leaks nothing', async (mode) => {
    const model = new Small();
    const params = model.trainableParameters().map((p) => p.dataSync().slice());
    const before = tf.memory().numTensors;
    const r = await benchModel('small', model, { batch: 2, mode, size: 16, iters: 3, warmup: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(r).toMatchObject({ name: 'small', backend, batch: 2, mode, size: 16, iters: 3, gradCheckpointing: false });
    expect(r.imagesPerSecond).toBeCloseTo((2 * 1000) / r.medianMs, 6);
    const moved = model.trainableParameters().some((p, i) => p.dataSync().some((v, j) => v !== params[i][j]));
    // Training steps SGD; inference leaves the weights alone.
    expect(moved).toBe(mode === 'train');
    model.dispose();
  });

});

describe('benchModel with gradient checkpointing (wasm)', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', report: false });
  });

  it('trains a backbone with each block recomputed: weights move, nothing leaks', async () => {
    const { createBackbone } = await import('@tfvision/backbones');
    const model = createBackbone('resnet18', { numClasses: 3 });
    const fcBefore = model.namedParameters().find(([n]) => n === 'fc.weight')![1].dataSync().slice();
    const before = tf.memory().numTensors;
    const r = await benchModel('resnet18', model, { batch: 2, mode: 'train', size: 32, iters: 1, warmup: 1, gradCheckpointing: true });
    expect(r.gradCheckpointing).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    const fcAfter = model.namedParameters().find(([n]) => n === 'fc.weight')![1].dataSync();
    expect(fcAfter.some((v, i) => v !== fcBefore[i])).toBe(true);
    model.dispose();
  });
});

describe('runModelBench arguments', () => {
  it('requires a model name', async () => {
    await expect(runModelBench([])).rejects.toThrow(new UsageError('model bench: NAME is required (see `tfvision model list`)'));
  });
  it('rejects an unknown mode', async () => {
    await expect(runModelBench(['resnet50', '--mode', 'fit'])).rejects.toThrow('model bench: --mode must be infer or train, got "fit"');
  });
  it('rejects an unknown --grad-checkpointing value', async () => {
    await expect(runModelBench(['resnet50', '--grad-checkpointing', 'yes'])).rejects.toThrow('model bench: --grad-checkpointing must be auto, on or off, got "yes"');
  });
  it('auto checkpoints training on wasm only', () => {
    expect(defaultGradCheckpointing('wasm', 'train')).toBe(true);
    expect(defaultGradCheckpointing('wasm', 'infer')).toBe(false);
    expect(defaultGradCheckpointing('webgpu', 'train')).toBe(false);
    expect(defaultGradCheckpointing('tensorflow', 'train')).toBe(false);
  });
  it('checks the model name before starting a backend (an unknown backend would fail first otherwise)', async () => {
    await expect(runModelBench(['resnet999', '--backend', 'tpu'])).rejects.toThrow(new UsageError('model bench: unknown model "resnet999" (did you mean resnet18, resnet26, resnet34, resnet50, resnet101?); `tfvision model list` shows all 53'));
  });
  it('rejects a zero batch', async () => {
    await expect(runModelBench(['resnet50', '--batch', '0'])).rejects.toThrow('model bench: --batch must be a positive integer, got 0');
  });
});
