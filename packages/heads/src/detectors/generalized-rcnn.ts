import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@tfvision/nn';
import { BackboneWithFpn } from '../backbone/backbone-with-fpn.js';
import { RegionProposalNetwork } from '../rpn/rpn.js';
import { RoIHeads } from '../roi-heads/roi-heads.js';
import { GeneralizedRCNNTransform } from '../transform/rcnn-transform.js';
import { disposeInstances, type DetectionTargets, type Detections } from '../structures/instances.js';
import type { RcnnConfig } from './rcnn-config.js';
import type { RandpermSource } from '../ops/balanced-sampler.js';

/** Construction options that are not config data. */
export interface GeneralizedRcnnOptions {
  /**
   * torch.randperm's stand-in for the RPN's and the RoI heads' samplers, one stream in
   * torchvision's call order (RPN, then RoI heads; per image positives then negatives): tests
   * feed a reference run's draws so the losses equal torchvision's. Default: each sampler's seeded one.
   */
  randperm?: RandpermSource;
}

/** torchvision's loss dict of a two-stage detector, under its names. */
export interface RcnnLosses {
  loss_objectness: tf.Scalar;
  loss_rpn_box_reg: tf.Scalar;
  loss_classifier: tf.Scalar;
  loss_box_reg: tf.Scalar;
  /** Mask R-CNN only. */
  loss_mask?: tf.Scalar;
}

/**
 * Faster / Mask R-CNN as torchvision's GeneralizedRCNN composes it: transform (normalise,
 * resize, pad), backbone with FPN, RPN, RoI heads, and the transform's postprocess back to the
 * input images. Children carry torchvision's names (`backbone.body`, `backbone.fpn`,
 * `rpn.head`, `roi_heads.box_head`, ...), so torchvision checkpoints load as they are.
 */
export class GeneralizedRcnn extends Module {
  readonly config: RcnnConfig;
  readonly transform: GeneralizedRCNNTransform;
  readonly backbone: BackboneWithFpn;
  readonly rpn: RegionProposalNetwork;
  readonly roiHeads: RoIHeads;

  constructor(config: RcnnConfig, options: GeneralizedRcnnOptions = {}) {
    super();
    this.config = config;
    const { neck, rpn, roiHeads, transform, numClasses } = config;
    this.transform = this.registerModule(
      'transform',
      new GeneralizedRCNNTransform({ minSize: transform.minSize, maxSize: transform.maxSize, imageMean: transform.imageMean, imageStd: transform.imageStd, sizeDivisible: transform.sizeDivisible }),
    );
    this.backbone = this.registerModule('backbone', new BackboneWithFpn({ backbone: config.backbone.name, backboneOptions: config.backbone.options, inFeatures: neck.inFeatures, outChannels: neck.outChannels, fpnNorm: neck.norm }));
    const levels = this.backbone.outFeatures.length;
    if (rpn.anchorSizes.length !== levels) throw new Error(`GeneralizedRcnn: rpn.anchorSizes has ${rpn.anchorSizes.length} levels but the FPN gives ${levels} (${this.backbone.outFeatures.join(', ')})`);
    this.rpn = this.registerModule(
      'rpn',
      new RegionProposalNetwork({
        inChannels: neck.outChannels,
        anchorSizes: rpn.anchorSizes,
        aspectRatios: rpn.aspectRatios,
        convDepth: rpn.convDepth,
        preNmsTopN: rpn.preNmsTopN,
        postNmsTopN: rpn.postNmsTopN,
        nmsThresh: rpn.nmsThresh,
        fgIouThresh: rpn.fgIouThresh,
        bgIouThresh: rpn.bgIouThresh,
        batchSizePerImage: rpn.batchSizePerImage,
        positiveFraction: rpn.positiveFraction,
        scoreThresh: rpn.scoreThresh,
        randperm: options.randperm,
      }),
    );
    // The RoI heads pool from the FPN levels at strides 4..32 (torchvision's '0'..'3'): every output but the extra one.
    const featmapNames = this.backbone.outFeatures.slice(0, neck.inFeatures.length);
    this.roiHeads = this.registerModule(
      'roi_heads',
      new RoIHeads({
        inChannels: neck.outChannels,
        numClasses,
        boxRoiPool: { featmapNames, outputSize: roiHeads.poolSize, samplingRatio: roiHeads.samplingRatio },
        boxHead: roiHeads.boxHead === 'two_mlp' ? { type: 'twoMlp', representationSize: roiHeads.representationSize } : { type: 'convFc', representationSize: roiHeads.representationSize },
        fgIouThresh: roiHeads.fgIouThresh,
        bgIouThresh: roiHeads.bgIouThresh,
        batchSizePerImage: roiHeads.batchSizePerImage,
        positiveFraction: roiHeads.positiveFraction,
        bboxRegWeights: roiHeads.bboxRegWeights,
        scoreThresh: roiHeads.scoreThresh,
        nmsThresh: roiHeads.nmsThresh,
        detectionsPerImg: roiHeads.detectionsPerImg,
        randperm: options.randperm,
        mask: roiHeads.mask
          ? {
              roiPool: { featmapNames, outputSize: roiHeads.mask.poolSize, samplingRatio: roiHeads.mask.samplingRatio },
              head: { layers: roiHeads.mask.layers, norm: roiHeads.mask.norm },
              predictor: { dimReduced: roiHeads.mask.dimReduced },
            }
          : undefined,
      }),
    );
  }

  /**
   * Eval-mode detection on images [H, W, 3] (float32 RGB in [0, 1], any sizes): boxes in each
   * input image's pixels, labels as the model's class indices, and for Mask R-CNN the mask
   * probabilities pasted into the image ([D, H, W]). Call `eval()` first; returns new tensors.
   */
  predict(images: readonly tf.Tensor3D[]): Detections[] {
    if (this.training) throw new Error('GeneralizedRcnn.predict: the model is in training mode; call eval() first (training returns losses: use losses())');
    const { images: batch, originalSizes } = this.transform.forward(images);
    try {
      const features = this.backbone.forward(batch.tensor);
      try {
        const { proposals, scores } = this.rpn.forward(batch, features);
        tf.dispose(scores);
        try {
          const { detections } = this.roiHeads.forward(features, proposals, batch.imageSizes);
          try {
            return this.transform.postprocess(detections, batch.imageSizes, originalSizes);
          } finally {
            for (const d of detections) disposeInstances(d);
          }
        } finally {
          tf.dispose(proposals);
        }
      } finally {
        tf.dispose(Object.values(features));
      }
    } finally {
      batch.tensor.dispose();
    }
  }

  /** Training-mode losses on images and their targets (labels >= 1, boxes in the input images' pixels). */
  losses(images: readonly tf.Tensor3D[], targets: readonly DetectionTargets[]): RcnnLosses {
    if (!this.training) throw new Error('GeneralizedRcnn.losses: the model is in eval mode; call train() first');
    if (targets.length !== images.length) throw new Error(`GeneralizedRcnn.losses: ${targets.length} targets for ${images.length} images`);
    const { images: batch, targets: resized } = this.transform.forward(images, targets);
    try {
      const features = this.backbone.forward(batch.tensor);
      const rpnOut = this.rpn.forward(batch, features, resized);
      tf.dispose(rpnOut.scores);
      const roiOut = this.roiHeads.forward(features, rpnOut.proposals, batch.imageSizes, resized);
      tf.dispose([...rpnOut.proposals, ...Object.values(features)]);
      const rpnLosses = rpnOut.losses;
      const roiLosses = roiOut.losses;
      if (!rpnLosses || !roiLosses) throw new Error('GeneralizedRcnn.losses: the RPN or the RoI heads returned no losses in training mode');
      return {
        loss_objectness: rpnLosses.lossObjectness,
        loss_rpn_box_reg: rpnLosses.lossRpnBoxReg,
        loss_classifier: roiLosses.lossClassifier,
        loss_box_reg: roiLosses.lossBoxReg,
        ...(roiLosses.lossMask ? { loss_mask: roiLosses.lossMask } : {}),
      };
    } finally {
      batch.tensor.dispose();
      for (const t of resized ?? []) disposeInstances(t);
    }
  }
}
