/**
 * The features contract (detectron2's Backbone.output_shape, timm's feature_info): every
 * family declares levels c1..c5 with channels and strides, forwardFeatures returns them by
 * name, and a neck written from featureInfo alone runs over every family unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { createBackbone, type Backbone, type FeatureLevel } from './index.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm', report: false });
});

/** One variant per family; the names the issue swaps (resnest50d, efficientnet_b3, seresnext50_32x4d) among them. */
const FAMILY_VARIANTS = ['resnet18', 'resnext50_32x4d', 'seresnext50_32x4d', 'skresnet18', 'resnest50d', 'efficientnet_b3'];
const NECK_LEVELS: FeatureLevel[] = ['c2', 'c3', 'c4', 'c5'];
const NECK_CHANNELS = 8;
const SIZE = 64;

/**
 * A toy FPN top-down path built from featureInfo alone: a 1x1 conv per level to 8 channels,
 * then from the deepest level up, nearest upsampling to the next map's size and an add.
 */
class ToyNeck {
  private readonly lateral: tf.Tensor4D[];

  constructor(readonly backbone: Backbone, readonly levels: FeatureLevel[]) {
    this.lateral = backbone.featureInfoFor(levels).map((f, i) => tf.randomNormal([1, 1, f.channels, NECK_CHANNELS], 0, 1 / Math.sqrt(f.channels), 'float32', 11 + i) as tf.Tensor4D);
  }

  forward(x: tf.Tensor4D): Record<string, tf.Tensor4D> {
    return tf.tidy(() => {
      const maps = this.backbone.forwardFeatures(x, this.levels);
      const lat = this.levels.map((level, i) => tf.conv2d(maps[level], this.lateral[i], 1, 'valid'));
      const out: Record<string, tf.Tensor4D> = {};
      let top = lat[lat.length - 1];
      out[this.levels[lat.length - 1]] = top;
      for (let i = lat.length - 2; i >= 0; i--) {
        const [h, w] = lat[i].shape.slice(1, 3);
        top = tf.add(lat[i], tf.image.resizeNearestNeighbor(top, [h, w])) as tf.Tensor4D;
        out[this.levels[i]] = top;
      }
      return out;
    });
  }

  dispose(): void {
    tf.dispose(this.lateral);
  }
}

describe('the same toy neck over every family, from featureInfo alone', () => {
  // Strides of c1..c5 at each output stride: dilation replaces the strides past it.
  const STRIDES: Record<number, number[]> = { 32: [2, 4, 8, 16, 32], 16: [2, 4, 8, 16, 16], 8: [2, 4, 8, 8, 8] };

  for (const name of FAMILY_VARIANTS) {
    for (const outputStride of [32, 16, 8] as const) {
      it(`${name} at outputStride ${outputStride}`, () => {
        const backbone = createBackbone(name, { numClasses: 0, outputStride });
        backbone.eval();
        expect(backbone.featureInfo.map((f) => f.level)).toEqual(['c1', 'c2', 'c3', 'c4', 'c5']);
        expect(backbone.featureInfo.map((f) => f.stride)).toEqual(STRIDES[outputStride]);
        const neck = new ToyNeck(backbone, NECK_LEVELS);
        const x = tf.randomNormal([1, SIZE, SIZE, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
        // The first eval pass caches folded conv-BN weights; count tensors from the second.
        tf.dispose(Object.values(neck.forward(x)));
        const before = tf.memory().numTensors;
        const out = neck.forward(x);
        expect(tf.memory().numTensors).toBe(before + NECK_LEVELS.length);
        const want = STRIDES[outputStride].slice(1).map((s) => [1, SIZE / s, SIZE / s, NECK_CHANNELS]);
        expect(NECK_LEVELS.map((l) => out[l].shape)).toEqual(want);
        const values = out.c2.dataSync();
        expect(values.every(Number.isFinite)).toBe(true);
        tf.dispose([x, ...Object.values(out)]);
        neck.dispose();
        backbone.dispose();
      }, 60_000);
    }
  }
});

describe('forwardFeatures', () => {
  let resnet: Backbone;
  let effnet: Backbone;
  beforeAll(() => {
    resnet = createBackbone('resnet18', { numClasses: 0 });
    effnet = createBackbone('efficientnet_b0', { numClasses: 0 });
    resnet.eval();
    effnet.eval();
    // Warm the folded conv-BN caches so tensor counts below see only the outputs.
    const x = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D;
    tf.dispose([x, ...Object.values(resnet.forwardFeatures(x)), ...Object.values(effnet.forwardFeatures(x))]);
  });
  afterAll(() => {
    resnet.dispose();
    effnet.dispose();
  });

  it('ResNet c1 is the stem before the max pool (timm act1): stride 2, 64 channels', () => {
    expect(resnet.featureInfo[0]).toEqual({ level: 'c1', name: 'act1', channels: 64, stride: 2 });
    const x = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D;
    const { c1 } = resnet.forwardFeatures(x, ['c1']);
    expect(c1.shape).toEqual([1, 16, 16, 64]);
    tf.dispose([x, c1]);
  });

  it('returns only the levels asked, in the order asked, and runs no deeper than the deepest', () => {
    const x = tf.randomNormal([1, 32, 32, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const layer4 = jest.spyOn(resnet.stages[3], 'forward');
    const lastStage = jest.spyOn(effnet.stages[effnet.stages.length - 1], 'forward');
    const before = tf.memory().numTensors;
    const r = resnet.forwardFeatures(x, ['c4', 'c2', 'c3']);
    const e = effnet.forwardFeatures(x, ['c4']);
    expect(tf.memory().numTensors).toBe(before + 4);
    expect(Object.keys(r)).toEqual(['c4', 'c2', 'c3']);
    expect([r.c2.shape, r.c3.shape, r.c4.shape]).toEqual([[1, 8, 8, 64], [1, 4, 4, 128], [1, 2, 2, 256]]);
    expect(e.c4.shape).toEqual([1, 2, 2, 112]);
    expect(layer4).not.toHaveBeenCalled();
    expect(lastStage).not.toHaveBeenCalled();
    // The same level from a full pass is the same tensor value.
    const all = resnet.forwardFeatures(x);
    expect(layer4).toHaveBeenCalledTimes(1);
    expect(Array.from(all.c3.dataSync())).toEqual(Array.from(r.c3.dataSync()));
    layer4.mockRestore();
    lastStage.mockRestore();
    tf.dispose([x, ...Object.values(r), ...Object.values(e), ...Object.values(all)]);
  });

  it('names a level the backbone does not have, and an empty list', () => {
    const x = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    expect(() => resnet.forwardFeatures(x, ['c6' as FeatureLevel])).toThrow('ResNet.forwardFeatures: unknown level "c6" (this backbone has c1, c2, c3, c4, c5)');
    expect(() => effnet.forwardFeatures(x, [])).toThrow('EfficientNet.forwardFeatures: levels is empty; name at least one of c1, c2, c3, c4, c5');
    expect(() => resnet.featureInfoFor(['p3' as FeatureLevel])).toThrow('ResNet.featureInfoFor: unknown level "p3"');
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('a backbone built with numClasses 0 is a feature extractor: forward says so', () => {
    const x = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D;
    expect(() => resnet.forward(x)).toThrow('ResNet.forward: a backbone built with numClasses 0 has no classifier (it is a feature extractor); use forwardFeatures(x, levels) or forwardPooled(x)');
    expect(() => effnet.forward(x)).toThrow('EfficientNet.forward: a backbone built with numClasses 0 has no classifier');
    expect(resnet.namedParameters().some(([n]) => n.startsWith('fc.'))).toBe(false);
    x.dispose();
  });

  it('rejects an output stride other than 8, 16 or 32 in every family', () => {
    expect(() => createBackbone('resnet18', { outputStride: 4 as never })).toThrow('ResNet: outputStride must be 8, 16 or 32, got 4');
    expect(() => createBackbone('efficientnet_b0', { outputStride: 64 as never })).toThrow('EfficientNet: outputStride must be 8, 16 or 32, got 64');
  });
});

describe('featuresOnly (timm features_only)', () => {
  it('EfficientNet drops conv_head and bn2 and has no classifier; ResNet has no fc; both refuse numClasses and forward', () => {
    const build = createBackbone;
    const eff = build('efficientnet_b0', { featuresOnly: true });
    const names = [...eff.stateDict().keys()];
    expect(names.some((n) => n.startsWith('conv_head.') || n.startsWith('bn2.') || n.startsWith('classifier.'))).toBe(false);
    const full = build('efficientnet_b0', { numClasses: 0 });
    // conv_head 320 -> 1280 (1x1, no bias) and bn2 (1280 scales and shifts) are all that go.
    expect(full.numParameters() - eff.numParameters()).toBe(320 * 1280 + 2 * 1280);
    const x = tf.zeros([1, 64, 64, 3]) as tf.Tensor4D;
    expect(() => eff.forward(x)).toThrow('numClasses 0 has no classifier');
    expect(() => (eff as unknown as { forwardPooled(x: tf.Tensor4D): tf.Tensor2D }).forwardPooled(x)).toThrow('featuresOnly');
    const feats = eff.forwardFeatures(x, ['c5']);
    expect(feats.c5.shape).toEqual([1, 2, 2, 320]);
    tf.dispose([x, feats.c5]);
    expect(() => build('resnet18', { featuresOnly: true, numClasses: 10 })).toThrow('ResNet: featuresOnly has no classifier, but numClasses is 10');
    const r = build('resnet18', { featuresOnly: true });
    expect([...r.stateDict().keys()].some((n) => n.startsWith('fc.'))).toBe(false);
    for (const m of [eff, full, r]) m.dispose();
  });
});
