import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { createBackbone, prepareFineTuning, type Backbone } from './index.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm', report: false });
});

async function snapshot(model: Backbone): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [name, v] of model.stateDict()) out.set(name, Float32Array.from((await v.data()) as Float32Array));
  return out;
}

/** One SGD step (lr 0.1) on a batch, the BN layers in training mode. */
function sgdStep(model: Backbone, numClasses: number): void {
  const x = tf.randomNormal([4, 32, 32, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), numClasses);
  const opt = tf.train.sgd(0.1);
  model.train();
  opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.forward(x)) as tf.Scalar, false, model.trainableParameters());
  tf.dispose([x, y]);
  opt.dispose();
}

function changed(a: Map<string, Float32Array>, b: Map<string, Float32Array>): Set<string> {
  const out = new Set<string>();
  for (const [k, v] of a) if (v.some((x, i) => x !== b.get(k)![i])) out.add(k);
  return out;
}

describe('prepareFineTuning', () => {
  it('ResNet: frozen stem and stages 1-2 and every frozen BatchNorm stay bit-identical after a step', async () => {
    const model = createBackbone('seresnext26d_32x4d', { numClasses: 3, zeroInitLastBn: false });
    const summary = prepareFineTuning(model, { frozenStages: 2, norm: 'frozen_bn' });
    // FrozenBN fixes the affine parameters too (detectron2), so only layer3's convolutions stay trainable.
    expect(summary.frozen.some((n) => n.startsWith('layer3') && n.includes('conv'))).toBe(false);
    expect(summary.frozen).toContain('layer3.0.bn1.weight');
    expect(summary.frozen).toEqual(expect.arrayContaining(['conv1.0.weight', 'bn1.weight', 'layer1.0.conv1.weight', 'layer2.1.conv2.weight']));
    const before = await snapshot(model);
    sgdStep(model, 3);
    const moved = changed(before, await snapshot(model));
    const frozenPrefixes = ['conv1.', 'bn1.', 'layer1.', 'layer2.'];
    for (const name of moved) expect(frozenPrefixes.some((p) => name.startsWith(p))).toBe(false);
    // Frozen BN everywhere: no running statistic moved anywhere.
    expect([...moved].filter((n) => n.includes('running_') || n.endsWith('num_batches_tracked'))).toEqual([]);
    // The trainable part did move.
    expect(moved.has('fc.weight')).toBe(true);
    expect(moved.has('layer4.1.conv3.weight')).toBe(true);
    model.dispose();
  });

  it("EfficientNet: norm 'bn' keeps updating statistics outside the frozen stages", async () => {
    const model = createBackbone('efficientnet_b0', { numClasses: 3 });
    prepareFineTuning(model, { frozenStages: 3 });
    const before = await snapshot(model);
    sgdStep(model, 3);
    const moved = changed(before, await snapshot(model));
    for (const name of moved) expect(/^(conv_stem|bn1)\.|^blocks\.[012]\./.test(name)).toBe(false);
    expect(moved.has('blocks.5.0.bn1.running_mean')).toBe(true);
    expect(moved.has('classifier.weight')).toBe(true);
    model.dispose();
  });

  it('linear probing trains the classifier alone', async () => {
    const model = createBackbone('resnet18', { numClasses: 3 });
    const summary = prepareFineTuning(model, { linearProbe: true });
    expect(summary.trainable).toEqual(['fc.weight', 'fc.bias']);
    const before = await snapshot(model);
    sgdStep(model, 3);
    expect([...changed(before, await snapshot(model))].sort()).toEqual(['fc.bias', 'fc.weight']);
    model.dispose();
  });
});

describe('one freezing vocabulary at construction and in prepareFineTuning', () => {
  const frozenNames = (m: Backbone): string[] => m.namedParameters().filter(([, v]) => !v.trainable).map(([n]) => n);

  it('the same keys freeze the same parameters either way', () => {
    const policy = { norm: 'frozen_bn', frozenStages: 1 } as const;
    const built = createBackbone('resnet18d', { numClasses: 3, ...policy });
    const prepared = createBackbone('resnet18d', { numClasses: 3 });
    const summary = prepareFineTuning(prepared, policy);
    expect(frozenNames(prepared)).toEqual(frozenNames(built));
    // The deep stem (conv1.0 conv, conv1.1 its BN) and layer1 frozen, and every BN's affine (layer4.1.bn2).
    expect(frozenNames(built)).toEqual(expect.arrayContaining(['conv1.0.weight', 'conv1.1.weight', 'layer1.1.conv2.weight', 'layer4.1.bn2.bias']));
    expect(frozenNames(built).some((n) => n.startsWith('layer2.') && n.includes('conv'))).toBe(false);
    // resnet18d: 3 stem BNs + 2 per basic block × 8 + 3 downsample BNs = 22, all frozen.
    expect(summary.frozenBatchNorms).toBe(22);
    built.dispose();
    prepared.dispose();
  });

  it('names replaced and bad keys and values', () => {
    expect(() => createBackbone('resnet18', { frozenBn: true } as never)).toThrow('createBackbone("resnet18"): option "frozenBn" was replaced by norm: "frozen_bn"');
    expect(() => createBackbone('resnet18', { outIndices: [1, 2] } as never)).toThrow('createBackbone("resnet18"): option "outIndices" was replaced by the level names given to forwardFeatures');
    expect(() => createBackbone('resnet18', { norm: 'gn' } as never)).toThrow('ResNet: norm must be "bn" or "frozen_bn", got "gn" ("gn" is for heads; backbones use BatchNorm)');
    expect(() => createBackbone('efficientnet_b0', { norm: 'syncbn' } as never)).toThrow('EfficientNet: norm must be "bn" or "frozen_bn", got "syncbn"');
    expect(() => createBackbone('resnet18', { frozenStages: 5 })).toThrow('ResNet: frozenStages must be an integer in -1..4, got 5');
    expect(() => createBackbone('resnet18', { numClasses: 0, linearProbe: true })).toThrow('ResNet: linearProbe needs a classifier, but the model was built with numClasses 0');
    const model = createBackbone('resnet18', { numClasses: 3 });
    expect(() => prepareFineTuning(model, { frozenBn: 'all' } as never)).toThrow('prepareFineTuning: option "frozenBn" was replaced by norm: "frozen_bn"');
    expect(() => prepareFineTuning(model, { frozenStage: 1 } as never)).toThrow('prepareFineTuning: unknown option "frozenStage" (known: norm, frozenStages, linearProbe)');
    expect(() => prepareFineTuning(model, { frozenStages: 1.5 })).toThrow('prepareFineTuning: frozenStages must be an integer in -1..4, got 1.5');
    model.dispose();
  });
});
