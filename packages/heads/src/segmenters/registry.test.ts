import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { listModels } from '@tfvision/backbones';
import { readHeadsFixture } from '../testing/fixture-compare.js';
import { createSegmenter, getSegmenterEntry, hasSegmenter, listSegmenters, segmenterConfig } from './registry.js';
import { DEEPLAB_CASES, type DeeplabFixture } from './deeplab-fixture.js';
import { DeepLabV3 } from './deeplabv3.js';
import { DeepLabV3Plus } from './deeplabv3plus.js';
import { segmenterParamCount } from './segmenter-params.js';
import { BACKBONE_FEATURES } from '../detectors/backbone-features.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

/** All weights of the reference model: its state dict without BatchNorm running statistics. */
function referenceWeights(model: string): number {
  return readHeadsFixture<DeeplabFixture>(`deeplab/${model}.json`).stateDictKeys
    .filter((k) => !/\.(running_mean|running_var|num_batches_tracked)$/.test(k.name))
    .reduce((n, k) => n + k.shape.reduce((a, b) => a * b, 1), 0);
}

describe('segmenter registry', () => {
  it('has deeplabv3_B (torchvision) and deeplabv3plus_B (smp) for every backbone', () => {
    const backbones = listModels().map((m) => m.name);
    expect(listSegmenters()).toHaveLength(2 * backbones.length);
    for (const b of backbones) {
      expect(getSegmenterEntry(`deeplabv3_${b}`)).toMatchObject({ family: 'segmenter', reference: 'torchvision', backbone: b });
      expect(getSegmenterEntry(`deeplabv3plus_${b}`)).toMatchObject({ family: 'segmenter', reference: 'smp', backbone: b });
    }
    expect(hasSegmenter('deeplabv3_resnet101')).toBe(true);
    expect(hasSegmenter('deeplabv3_mobilenet_v3_large')).toBe(false);
  });

  it('uses smp\'s own encoder for resnet50 only and tu- encoders otherwise; torchvision presets have the aux head', () => {
    expect(segmenterConfig('deeplabv3plus_resnet50')).toMatchObject({ encoder: 'smp', outputStride: 16, numClasses: 21, atrousRates: [12, 24, 36] });
    expect(segmenterConfig('deeplabv3plus_resnet101')).toMatchObject({ encoder: 'timm-universal' });
    expect(segmenterConfig('deeplabv3_resnet50')).toMatchObject({ aux: true, outputStride: 8, numClasses: 21 });
    expect(segmenterConfig('deeplabv3_resnet50', { aux: false, numClasses: 2 })).toMatchObject({ aux: false, numClasses: 2 });
  });

  it.each(DEEPLAB_CASES)('%s counts the weights of the reference model', (name) => {
    expect(getSegmenterEntry(name).params).toBe(referenceWeights(name));
  });

  it('counts torchvision\'s published num_params for the COCO_WITH_VOC_LABELS checkpoints', () => {
    expect(getSegmenterEntry('deeplabv3_resnet50').params).toBe(42004074);
    expect(getSegmenterEntry('deeplabv3_resnet101').params).toBe(60996202);
  });

  it.each([
    ['deeplabv3_efficientnet_b0', {}],
    ['deeplabv3_resnet18', { aux: false, numClasses: 5 }],
    ['deeplabv3plus_efficientnet_b0', {}],
    ['deeplabv3plus_resnet18', { encoder: 'smp', numClasses: 2, channels: 64 }],
  ] as const)('%s %j: the built model has as many weights as its config says', (name, overrides) => {
    const config = segmenterConfig(name, overrides);
    const model = createSegmenter(name, overrides);
    expect(model.numParameters(false)).toBe(segmenterParamCount(config, BACKBONE_FEATURES[config.backbone]));
    if (Object.keys(overrides).length === 0) expect(model.numParameters(false)).toBe(getSegmenterEntry(name).params);
    model.dispose();
  });

  it('builds the right class and names close matches of an unknown name', () => {
    expect(() => getSegmenterEntry('deeplabv3_resnet5')).toThrow(/unknown segmenter "deeplabv3_resnet5" \(did you mean .*deeplabv3_resnet50/);
    const before = tf.memory().numTensors;
    // zeroInitLastBn false: the zoo's ResNet zero-init leaves one zerosLike tensor per block
    // undisposed (packages/backbones/src/resnet.ts), which is not this package's to fix.
    const v3 = createSegmenter('deeplabv3_resnet18', { aux: false, backboneOptions: { zeroInitLastBn: false } });
    const plus = createSegmenter('deeplabv3plus_resnet18', { backboneOptions: { zeroInitLastBn: false } });
    expect(v3).toBeInstanceOf(DeepLabV3);
    expect(plus).toBeInstanceOf(DeepLabV3Plus);
    expect(v3.name).toBe('deeplabv3_resnet18');
    v3.dispose();
    plus.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
