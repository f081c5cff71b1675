/**
 * DeepLabV3 (Chen et al., "Rethinking Atrous Convolution for Semantic Image Segmentation",
 * 2017) as torchvision 0.14 builds it (models/segmentation/deeplabv3.py, fcn.py, _utils.py):
 * - `backbone.*`: any zoo backbone with its own names (torchvision's for resnet50/101) as a
 *   feature extractor at output stride 8: layer3 and layer4 dilated, the first block of a
 *   dilated stage keeping the previous dilation (torchvision's and timm's rule alike);
 * - `classifier.*` (DeepLabHead) on c5: `0` ASPP (1x1, 3x3 at 12/24/36, image pooling; concat,
 *   1x1 projection BN ReLU Dropout 0.5), `1` 3x3 → `2` BN → ReLU, `4` 1x1 to the classes (bias);
 * - `aux_classifier.*` (FCNHead, optional) on c4: `0` 3x3 to c4/4 → `1` BN → ReLU → Dropout 0.1,
 *   `4` 1x1 to the classes (bias);
 * - both upsampled to the input size, bilinear with align_corners false.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Dropout, ReLU } from '@tfvision/nn';
import { createBackbone, type Backbone, type FeatureLevel } from '@tfvision/backbones';
import { interpolate } from '../ops/interpolate.js';
import { Aspp } from './aspp.js';
import { ConvNormRelu, plainConv } from './conv-blocks.js';
import { Segmenter, segmentationOutput, type SegmentationOutput } from './segmenter.js';
import { deeplabv3Defaults, validateSegmenterConfig, type DeepLabV3Config } from './segmenter-config.js';

function classifierConv(inChannels: number, numClasses: number): Conv2d {
  return new Conv2d({ inChannels, outChannels: numClasses, kernelSize: 1, padding: 0, bias: true });
}

export class DeepLabV3 extends Segmenter {
  readonly name: string;
  readonly config: DeepLabV3Config;
  readonly backbone: Backbone;
  readonly classifier: ConvNormRelu;
  readonly auxClassifier?: ConvNormRelu;
  readonly numClasses: number;
  readonly inChannels: number;
  readonly sideMultiple = 1;
  private readonly levels: FeatureLevel[];

  constructor(config: DeepLabV3Config = deeplabv3Defaults('resnet50'), name = 'deeplabv3') {
    super();
    this.name = name;
    this.config = validateSegmenterConfig(config, `DeepLabV3 (${name})`);
    const c = this.config;
    this.numClasses = c.numClasses;
    this.inChannels = c.backboneOptions.inChans ?? 3;
    this.backbone = this.registerModule('backbone', createBackbone(c.backbone, { ...c.backboneOptions, featuresOnly: true, outputStride: c.outputStride }));
    const [c4, c5] = this.backbone.featureInfoFor(['c4', 'c5']);
    this.levels = c.aux ? ['c4', 'c5'] : ['c5'];
    const ch = c.channels;
    this.classifier = this.registerModule('classifier', new ConvNormRelu([
      new Aspp({ inChannels: c5.channels, outChannels: ch, rates: c.atrousRates, separable: false, dropout: c.dropout }),
      plainConv(ch, ch, 3), new BatchNorm2d({ numFeatures: ch }), new ReLU(),
      classifierConv(ch, c.numClasses),
    ]));
    if (c.aux) {
      const inter = Math.floor(c4.channels / 4);
      this.auxClassifier = this.registerModule('aux_classifier', new ConvNormRelu([
        plainConv(c4.channels, inter, 3), new BatchNorm2d({ numFeatures: inter }), new ReLU(), new Dropout(c.auxDropout),
        classifierConv(inter, c.numClasses),
      ]));
    }
  }

  forwardLowRes(x: tf.Tensor4D): SegmentationOutput {
    this.checkInput(x, 'forwardLowRes');
    return this.heads(x);
  }

  forward(x: tf.Tensor4D): SegmentationOutput {
    this.checkInput(x, 'forward');
    const size: [number, number] = [x.shape[1], x.shape[2]];
    return tf.tidy(() => {
      const low = this.heads(x);
      const up = (t: tf.Tensor4D) => interpolate(t, { size, mode: 'bilinear', alignCorners: false });
      return segmentationOutput(up(low.out), low.aux && up(low.aux));
    });
  }

  private heads(x: tf.Tensor4D): SegmentationOutput {
    return tf.tidy(() => {
      const features = this.backbone.forwardFeatures(x, this.levels);
      const out = this.classifier.forward(features.c5) as tf.Tensor4D;
      return segmentationOutput(out, this.auxClassifier && (this.auxClassifier.forward(features.c4) as tf.Tensor4D));
    });
  }
}
