import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createBackbone, getModelEntry, listModels } from './index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('ResNet family registry', () => {
  it('registers every timm name of the ResNet family with timm parameter counts', () => {
    const names = listModels().map((m) => m.name);
    for (const n of ['resnet50d', 'resnext50_32x4d', 'seresnet50', 'skresnet50', 'resnest50d', 'resnest269e', 'resnest50d_4s2x40d']) expect(names).toContain(n);
    expect(getModelEntry('resnest50d').params).toBe(27483240);
  });

  it('rejects unknown names and options with the name', () => {
    expect(() => createBackbone('resnest51d')).toThrow(/unknown model "resnest51d"/);
    expect(() => createBackbone('resnest14d', { numClass: 3 } as never)).toThrow('createBackbone("resnest14d"): unknown option "numClass"');
  });

  // Building allocates every weight, so only the small variants run by default; the
  // parameter count of the built module must equal timm's count.
  it.each(['resnest14d', 'skresnet18', 'seresnext26d_32x4d'])('%s builds with exactly timm\'s parameter count and right feature shapes', (name) => {
    const m = createBackbone(name);
    expect(m.numParameters()).toBe(getModelEntry(name).params);
    m.eval();
    const x = tf.randomNormal([1, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const feats = m.forwardFeatures(x);
    expect(Object.keys(feats)).toEqual(['c1', 'c2', 'c3', 'c4', 'c5']);
    expect(Object.values(feats).map((f) => f.shape)).toEqual(m.featureInfo.map((fi) => [1, 32 / fi.stride, 32 / fi.stride, fi.channels]));
    const logits = m.forward(x);
    expect(logits.shape).toEqual([1, 1000]);
    tf.dispose([x, logits, ...Object.values(feats)]);
    m.dispose();
  });

  it('outputStride 8 dilates the last two stages (DeepLab)', () => {
    const m = createBackbone('resnest14d', { outputStride: 8, numClasses: 0 });
    expect(m.featureInfo.map((f) => f.stride)).toEqual([2, 4, 8, 8, 8]);
    const x = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D;
    const feats = m.forwardFeatures(x, ['c4', 'c5']);
    expect(feats.c4.shape).toEqual([1, 4, 4, 1024]);
    expect(feats.c5.shape).toEqual([1, 4, 4, 2048]);
    tf.dispose([x, feats.c4, feats.c5]);
    m.dispose();
  });

  it('frozenStages freezes the stem and the first stages, and their BN', () => {
    const m = createBackbone('resnet18d', { frozenStages: 1, numClasses: 2 });
    const frozen = m.namedParameters().filter(([, v]) => !v.trainable).map(([n]) => n);
    expect(frozen.some((n) => n.startsWith('conv1.0'))).toBe(true);
    expect(frozen.some((n) => n.startsWith('layer1.'))).toBe(true);
    expect(frozen.some((n) => n.startsWith('layer2.'))).toBe(false);
    m.dispose();
  });
});
