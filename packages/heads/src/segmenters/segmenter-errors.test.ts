/**
 * Input and config errors name the model, the argument and the value; the dilation rules
 * (torchvision/timm: a dilated stage's first block keeps the previous dilation; smp: every conv
 * of a dilated stage) are read off the built modules.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, initBackend, type Module } from '@tfvision/nn';
import { createSegmenter } from './registry.js';
import { DeepLabV3Plus } from './deeplabv3plus.js';
import { DeepLabV3 } from './deeplabv3.js';

// wasm: the JS cpu backend is slow under jest.
beforeAll(async () => {
  await initBackend({ backend: process.env.TFVISION_TRAIN_BACKEND ?? 'wasm', report: false });
});

function conv(model: Module, path: string): Conv2d {
  const m = model.namedModules().find(([n]) => n === path)?.[1];
  if (!(m instanceof Conv2d)) throw new Error(`no Conv2d at ${path}`);
  return m;
}

describe('segmenter input errors', () => {
  let plus: DeepLabV3Plus;
  let v3: DeepLabV3;
  beforeAll(() => {
    plus = createSegmenter('deeplabv3plus_resnet18', { numClasses: 2, channels: 16, lowLevelChannels: 8 }) as DeepLabV3Plus;
    v3 = createSegmenter('deeplabv3_resnet18', { numClasses: 2, channels: 16 }) as DeepLabV3;
    plus.eval();
    v3.eval();
  });
  afterAll(() => {
    plus.dispose();
    v3.dispose();
  });

  it('DeepLabV3+ names a side that is not a multiple of 16, and the padded size', () => {
    const x = tf.zeros([1, 70, 64, 3]) as tf.Tensor4D;
    expect(() => plus.forward(x)).toThrow('DeepLabV3Plus (deeplabv3plus_resnet18).forward: input height 70 is not a multiple of 16 (the output stride; sides must be divisible by it, pad to 80)');
    const y = tf.zeros([1, 64, 40, 3]) as tf.Tensor4D;
    expect(() => plus.forwardLowRes(y)).toThrow('input width 40 is not a multiple of 16');
    tf.dispose([x, y]);
  });

  it('names rank, channels and dtype', () => {
    const before = tf.memory().numTensors;
    const x3 = tf.zeros([32, 32, 3]) as unknown as tf.Tensor4D;
    const x4 = tf.zeros([1, 32, 32, 4]) as tf.Tensor4D;
    const xi = tf.zeros([1, 32, 32, 3], 'int32') as tf.Tensor4D;
    expect(() => v3.forward(x3)).toThrow('DeepLabV3 (deeplabv3_resnet18).forward: x must be a rank-4 NHWC tensor, got shape [32,32,3]');
    expect(() => v3.forward(x4)).toThrow('DeepLabV3 (deeplabv3_resnet18).forward: x must have 3 channels (NHWC), got shape [1,32,32,4]');
    expect(() => v3.forward(xi)).toThrow('x must be float32, got int32');
    tf.dispose([x3, x4, xi]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses batch 1 in training, as torch does for the image-pooling BatchNorm', () => {
    const x = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D;
    v3.train();
    expect(() => v3.forward(x)).toThrow('DeepLabV3 (deeplabv3_resnet18).forward: training needs a batch of at least 2');
    v3.eval();
    const y = v3.forward(x);
    expect(y.out.shape).toEqual([1, 32, 32, 2]);
    expect(y.aux?.shape).toEqual([1, 32, 32, 2]);
    tf.dispose([x, y]);
  });

  it('DeepLabV3 takes any size (odd too) and returns logits at the input size', () => {
    const x = tf.zeros([1, 37, 29, 3]) as tf.Tensor4D;
    const low = v3.forwardLowRes(x);
    const y = v3.forward(x);
    expect(low.out.shape).toEqual([1, 5, 4, 2]); // ceil(37/8), ceil(29/8) through the stride-2 convs and pool
    expect(y.out.shape).toEqual([1, 37, 29, 2]);
    tf.dispose([x, low, y]);
  });
});

describe('segmenter config errors', () => {
  it.each([
    [{ numClasses: 0 }, 'createSegmenter("deeplabv3_resnet18"): numClasses must be a positive integer, got 0'],
    [{ outputStride: 32 }, 'createSegmenter("deeplabv3_resnet18"): outputStride must be 8 or 16, got 32'],
    [{ dropout: 1 }, 'createSegmenter("deeplabv3_resnet18"): dropout must be in [0, 1), got 1'],
    [{ atrousRates: [6, 12] }, 'createSegmenter("deeplabv3_resnet18"): atrousRates must be three positive integers, got [6,12]'],
    [{ numClases: 3 }, 'createSegmenter("deeplabv3_resnet18"): unknown option "numClases"'],
    [{ backboneOptions: { outputStride: 16 } }, 'createSegmenter("deeplabv3_resnet18"): backboneOptions.outputStride is set by the segmenter'],
    [{ backboneOptions: { numClasses: 10 } }, 'backboneOptions.numClasses is set by the segmenter'],
    [{ backboneOptions: { frozenBn: true } }, 'option "frozenBn" was replaced'],
    [{ type: 'deeplabv3plus' }, 'createSegmenter("deeplabv3_resnet18"): type cannot be overridden'],
    [{ encoder: 'smp' }, 'unknown option "encoder"'],
  ])('deeplabv3_resnet18 %j', (overrides, message) => {
    expect(() => createSegmenter('deeplabv3_resnet18', overrides as never)).toThrow(message);
  });

  it('names a backbone smp has no native encoder for', () => {
    expect(() => createSegmenter('deeplabv3plus_resnest14d', { encoder: 'smp' })).toThrow(
      'createSegmenter("deeplabv3plus_resnest14d"): encoder \'smp\' (torchvision names) exists for resnet18, resnet34, resnet50, resnet101, resnet152, got backbone "resnest14d"; use encoder \'timm-universal\'',
    );
  });
});

describe('dilation rules', () => {
  it('DeepLabV3 at output stride 8: layer3 1 then 2, layer4 2 then 4 (torchvision replace_stride_with_dilation [F, T, T])', () => {
    const m = createSegmenter('deeplabv3_resnet50', { aux: false, channels: 8 });
    const d = (p: string) => conv(m, p).dilation;
    expect([d('backbone.layer2.0.conv2'), d('backbone.layer3.0.conv2'), d('backbone.layer3.1.conv2'), d('backbone.layer4.0.conv2'), d('backbone.layer4.2.conv2')]).toEqual([[1, 1], [1, 1], [2, 2], [2, 2], [4, 4]]);
    expect([conv(m, 'backbone.layer3.0.conv2').stride, conv(m, 'backbone.layer4.0.downsample.0').stride]).toEqual([[1, 1], [1, 1]]);
    m.dispose();
  });

  it('DeepLabV3+ with smp\'s encoder dilates every conv of layer4; the tu- encoder keeps timm\'s rule', () => {
    const smp = createSegmenter('deeplabv3plus_resnet18', { encoder: 'smp', channels: 8 });
    const tu = createSegmenter('deeplabv3plus_resnet18', { channels: 8 });
    expect([conv(smp, 'encoder.layer4.0.conv1').dilation, conv(smp, 'encoder.layer4.0.conv1').padding, conv(smp, 'encoder.layer4.0.downsample.0').stride]).toEqual([[2, 2], [2, 2], [1, 1]]);
    expect([conv(tu, 'encoder.model.layer4.0.conv1').dilation, conv(tu, 'encoder.model.layer4.0.conv2').dilation, conv(tu, 'encoder.model.layer4.1.conv1').dilation]).toEqual([[1, 1], [2, 2], [2, 2]]);
    expect(conv(smp, 'encoder.layer3.0.conv1').stride).toEqual([2, 2]);
    smp.dispose();
    tu.dispose();
  });
});
