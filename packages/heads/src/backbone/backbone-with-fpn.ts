import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@tfvision/nn';
import { createBackbone, type Backbone, type BackboneOptions, type FeatureLevel } from '@tfvision/backbones';
import { FeaturePyramidNetwork } from '../necks/fpn.js';

export interface BackboneWithFpnOptions {
  /** Any registered backbone name (`resnet50`, `resnest50d`, `efficientnet_b3`, ...). */
  backbone: string;
  /** The backbone's own options; it is built featuresOnly (timm's features_only: no classifier, no unused head conv). */
  backboneOptions?: BackboneOptions;
  /** Levels the FPN takes. Default c2..c5 (strides 4-32). */
  inFeatures?: FeatureLevel[];
  outChannels?: number;
  /** FPN norm: none (v1) or BatchNorm (v2). */
  fpnNorm?: 'none' | 'bn';
}

/**
 * torchvision's BackboneWithFPN over any backbone of the zoo: the body (`body.*`, the backbone's
 * own names, which for ResNet-50 are torchvision's) returns the named levels from its featureInfo,
 * the FPN (`fpn.*`) turns them into p2..p6. Nothing about a family is special-cased here: a
 * backbone swap is a change of `backbone` only.
 */
export class BackboneWithFpn extends Module {
  readonly body: Backbone;
  readonly fpn: FeaturePyramidNetwork;
  readonly inFeatures: FeatureLevel[];
  /** FPN output names (p2..p6) and their strides. */
  readonly outFeatures: string[];
  readonly outStrides: number[];
  readonly outChannels: number;

  constructor(o: BackboneWithFpnOptions) {
    super();
    this.inFeatures = o.inFeatures ?? ['c2', 'c3', 'c4', 'c5'];
    this.body = this.registerModule('body', createBackbone(o.backbone, { ...o.backboneOptions, featuresOnly: true }));
    const infos = this.body.featureInfoFor(this.inFeatures);
    this.outChannels = o.outChannels ?? 256;
    this.fpn = this.registerModule('fpn', new FeaturePyramidNetwork({ inFeatures: this.inFeatures, inChannels: infos.map((f) => f.channels), outChannels: this.outChannels, norm: o.fpnNorm ?? 'none' }));
    this.outFeatures = this.fpn.outFeatures;
    this.outStrides = this.fpn.outStrides(infos.map((f) => f.stride));
  }

  forward(x: tf.Tensor4D): Record<string, tf.Tensor4D> {
    return tf.tidy(() => this.fpn.forward(this.body.forwardFeatures(x, this.inFeatures) as Record<string, tf.Tensor4D>));
  }
}
