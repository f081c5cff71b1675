/**
 * DeepLabV3+ (Chen et al., "Encoder-Decoder with Atrous Separable Convolution for Semantic Image
 * Segmentation", 2018) as segmentation_models.pytorch builds `DeepLabV3Plus` (decoders/deeplabv3/
 * decoder.py and model.py, base/heads.py, encoders/_utils.py):
 * - `encoder.*`: smp's ResNet encoder (torchvision names; every conv of layer4 dilated 2 for
 *   output stride 16, smp's rule) or, for other backbones, `encoder.model.*`: smp's `tu-` timm
 *   universal encoder (timm names, timm's own dilation rule via outputStride);
 * - `decoder.aspp`: `0` separable ASPP (12/24/36, project + Dropout 0.5), `1` separable 3x3,
 *   `2` BN, ReLU; then UpsamplingBilinear2d x4 (align_corners true) to stride 4;
 * - `decoder.block1`: the stride-4 map (c2) 1x1 to 48, BN, ReLU; concat [aspp, low];
 * - `decoder.block2`: separable 3x3 to 256, BN, ReLU;
 * - `segmentation_head.0`: 1x1 to the classes (bias), then x4 bilinear (align_corners true).
 * Input sides must be multiples of the output stride, as smp's check_input_shape requires.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Module, ReLU, Sequential } from '@tfvision/nn';
import { createBackbone, type Backbone } from '@tfvision/backbones';
import { interpolate } from '../ops/interpolate.js';
import { Aspp } from './aspp.js';
import { ConvNormRelu, SeparableConv2d, convBnRelu, plainConv } from './conv-blocks.js';
import { Segmenter, segmentationOutput, type SegmentationOutput } from './segmenter.js';
import { deeplabv3PlusDefaults, validateSegmenterConfig, type DeepLabV3PlusConfig } from './segmenter-config.js';
import { replaceStridesWithDilation, smpDilatedStages } from './smp-dilation.js';

/** smp's TimmUniversalEncoder: the timm features-only model under `model`. */
class TimmUniversalEncoder extends Module {
  readonly model: Backbone;

  constructor(model: Backbone) {
    super();
    this.model = this.registerModule('model', model);
  }
}

/** smp's DeepLabV3PlusDecoder (children aspp, block1, block2). */
export class DeepLabV3PlusDecoder extends Module {
  readonly aspp: ConvNormRelu;
  readonly block1: ConvNormRelu;
  readonly block2: ConvNormRelu;
  /** The factor from the ASPP map up to stride 4 (4 at output stride 16, 2 at 8). */
  readonly upScale: number;

  constructor(o: { highChannels: number; lowChannels: number; channels: number; lowLevelChannels: number; rates: readonly [number, number, number]; dropout: number; outputStride: 8 | 16 }) {
    super();
    const ch = o.channels;
    this.upScale = o.outputStride === 8 ? 2 : 4;
    this.aspp = this.registerModule('aspp', new ConvNormRelu([
      new Aspp({ inChannels: o.highChannels, outChannels: ch, rates: o.rates, separable: true, dropout: o.dropout }),
      new SeparableConv2d(ch, ch, 3), new BatchNorm2d({ numFeatures: ch }), new ReLU(),
    ]));
    this.block1 = this.registerModule('block1', convBnRelu(plainConv(o.lowChannels, o.lowLevelChannels, 1), o.lowLevelChannels));
    this.block2 = this.registerModule('block2', convBnRelu(new SeparableConv2d(ch + o.lowLevelChannels, ch, 3), ch));
  }

  /** The fused stride-4 features from c5 (`high`) and c2 (`low`). */
  forward(high: tf.Tensor4D, low: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const a = this.aspp.forward(high) as tf.Tensor4D;
      const up = interpolate(a, { size: [a.shape[1] * this.upScale, a.shape[2] * this.upScale], mode: 'bilinear', alignCorners: true });
      const l = this.block1.forward(low) as tf.Tensor4D;
      if (up.shape[1] !== l.shape[1] || up.shape[2] !== l.shape[2]) {
        throw new Error(`DeepLabV3PlusDecoder: upsampled ASPP map ${up.shape[1]}x${up.shape[2]} does not match the stride-4 map ${l.shape[1]}x${l.shape[2]}`);
      }
      return this.block2.forward(tf.concat([up, l], 3)) as tf.Tensor4D;
    });
  }
}

export class DeepLabV3Plus extends Segmenter {
  readonly name: string;
  readonly config: DeepLabV3PlusConfig;
  /** The zoo backbone (at `encoder.*` or `encoder.model.*`). */
  readonly body: Backbone;
  readonly encoder: Module;
  readonly decoder: DeepLabV3PlusDecoder;
  readonly segmentationHead: Sequential;
  readonly numClasses: number;
  readonly inChannels: number;
  readonly sideMultiple: number;

  constructor(config: DeepLabV3PlusConfig = deeplabv3PlusDefaults('resnet50'), name = 'deeplabv3plus') {
    super();
    this.name = name;
    this.config = validateSegmenterConfig(config, `DeepLabV3Plus (${name})`);
    const c = this.config;
    this.numClasses = c.numClasses;
    this.inChannels = c.backboneOptions.inChans ?? 3;
    this.sideMultiple = c.outputStride;
    this.body = createBackbone(c.backbone, { ...c.backboneOptions, featuresOnly: true, outputStride: c.outputStride });
    if (c.encoder === 'smp') {
      for (const { stage, rate } of smpDilatedStages(c.outputStride)) {
        const m = this.body.child(stage);
        if (!m) throw new Error(`DeepLabV3Plus (${name}): backbone "${c.backbone}" has no ${stage} for smp's dilation rule`);
        replaceStridesWithDilation(m, rate);
      }
      this.encoder = this.registerModule('encoder', this.body);
    } else {
      this.encoder = this.registerModule('encoder', new TimmUniversalEncoder(this.body));
    }
    const [low, high] = this.body.featureInfoFor(['c2', 'c5']);
    this.decoder = this.registerModule('decoder', new DeepLabV3PlusDecoder({
      highChannels: high.channels, lowChannels: low.channels, channels: c.channels, lowLevelChannels: c.lowLevelChannels, rates: c.atrousRates, dropout: c.dropout, outputStride: c.outputStride,
    }));
    this.segmentationHead = this.registerModule('segmentation_head', new Sequential([
      new Conv2d({ inChannels: c.channels, outChannels: c.numClasses, kernelSize: 1, padding: 0, bias: true }),
    ]));
  }

  forwardLowRes(x: tf.Tensor4D): SegmentationOutput {
    this.checkInput(x, 'forwardLowRes');
    return tf.tidy(() => segmentationOutput(this.segmentationHead.forward(this.decode(x)) as tf.Tensor4D));
  }

  /** The decoder's output (stride 4, before the segmentation head). */
  forwardDecoder(x: tf.Tensor4D): tf.Tensor4D {
    this.checkInput(x, 'forwardDecoder');
    return this.decode(x);
  }

  forward(x: tf.Tensor4D): SegmentationOutput {
    this.checkInput(x, 'forward');
    return tf.tidy(() => {
      const low = this.segmentationHead.forward(this.decode(x)) as tf.Tensor4D;
      const s = this.config.upsampling;
      return segmentationOutput(s === 1 ? low : interpolate(low, { size: [low.shape[1] * s, low.shape[2] * s], mode: 'bilinear', alignCorners: true }));
    });
  }

  private decode(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const f = this.body.forwardFeatures(x, ['c2', 'c5']);
      return this.decoder.forward(f.c5, f.c2);
    });
  }
}
