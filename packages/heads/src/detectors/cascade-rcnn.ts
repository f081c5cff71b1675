import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@tfvision/nn';
import { BackboneWithFpn } from '../backbone/backbone-with-fpn.js';
import { CascadeRoIHeads, type CascadeLosses, type CascadeStageRecord } from '../cascade/cascade-roi-heads.js';
import type { RandpermSource } from '../ops/balanced-sampler.js';
import { Detectron2Rpn } from '../detectron2/rpn.js';
import { Detectron2Transform } from '../detectron2/transform.js';
import { disposeInstances, type Detections } from '../structures/instances.js';
import type { CascadeRcnnConfig } from './cascade-config.js';

/** One image's ground truth in its own pixels: 0-based classes, boxes, binary masks (mask model). */
export interface CascadeRcnnTargets {
  boxes: tf.Tensor2D;
  classes: Int32Array;
  masks?: tf.Tensor3D;
}

export interface CascadeRcnnOptions {
  /** torch.randperm's stand-in for the RPN's and the RoI heads' samplers (tests inject the reference's). */
  randperm?: RandpermSource;
}

/**
 * Cascade (Mask) R-CNN as detectron2's GeneralizedRCNN composes it (modeling/meta_arch/rcnn.py
 * @02b5c4e): Detectron2Transform (0-255, channel order, ResizeShortestEdge, normalise, pad 32),
 * BackboneWithFpn over any zoo backbone (`backbone.body`, `backbone.fpn`), detectron2's RPN
 * (`proposal_generator.rpn_head`), CascadeRoIHeads (`roi_heads.box_head.{k}`,
 * `roi_heads.box_predictor.{k}`, `roi_heads.mask_head`, `roi_heads.mask_predictor`) and
 * detector_postprocess. detectron2 checkpoints load through detectron2-checkpoint.ts, which maps
 * these names to detectron2's (`backbone.bottom_up.*`, `backbone.fpn_lateral2`, ...).
 */
export class CascadeRcnn extends Module {
  readonly config: CascadeRcnnConfig;
  readonly transform: Detectron2Transform;
  readonly backbone: BackboneWithFpn;
  readonly proposalGenerator: Detectron2Rpn;
  readonly roiHeads: CascadeRoIHeads;

  constructor(config: CascadeRcnnConfig, options: CascadeRcnnOptions = {}) {
    super();
    this.config = config;
    const { neck, rpn, roiHeads, transform, numClasses } = config;
    this.transform = this.registerModule('transform', new Detectron2Transform({ ...transform }));
    this.backbone = this.registerModule('backbone', new BackboneWithFpn({ backbone: config.backbone.name, backboneOptions: config.backbone.options, inFeatures: neck.inFeatures, outChannels: neck.outChannels, fpnNorm: 'none' }));
    if (rpn.anchorSizes.length !== this.backbone.outFeatures.length) throw new Error(`CascadeRcnn: rpn.anchorSizes has ${rpn.anchorSizes.length} levels but the FPN gives ${this.backbone.outFeatures.length} (${this.backbone.outFeatures.join(', ')})`);
    this.proposalGenerator = this.registerModule(
      'proposal_generator',
      new Detectron2Rpn({ inChannels: neck.outChannels, anchorSizes: rpn.anchorSizes, aspectRatios: rpn.aspectRatios, strides: this.backbone.outStrides, anchorOffset: rpn.anchorOffset, preNmsTopK: rpn.preNmsTopK, postNmsTopK: rpn.postNmsTopK, nmsThresh: rpn.nmsThresh, minSize: rpn.minSize, iouThresholds: rpn.iouThresholds, batchSizePerImage: rpn.batchSizePerImage, positiveFraction: rpn.positiveFraction, smoothL1Beta: rpn.smoothL1Beta, randperm: options.randperm }),
    );
    const levels = neck.inFeatures.length;
    this.roiHeads = this.registerModule(
      'roi_heads',
      new CascadeRoIHeads({
        inChannels: neck.outChannels,
        numClasses,
        featmapNames: this.backbone.outFeatures.slice(0, levels),
        strides: this.backbone.outStrides.slice(0, levels),
        stageIous: roiHeads.stageIous,
        stageWeights: roiHeads.stageWeights,
        poolSize: roiHeads.poolSize,
        samplingRatio: roiHeads.samplingRatio,
        representationSize: roiHeads.representationSize,
        batchSizePerImage: roiHeads.batchSizePerImage,
        positiveFraction: roiHeads.positiveFraction,
        smoothL1Beta: roiHeads.smoothL1Beta,
        scoreThresh: roiHeads.scoreThresh,
        nmsThresh: roiHeads.nmsThresh,
        detectionsPerImage: roiHeads.detectionsPerImage,
        mask: roiHeads.mask,
        randperm: options.randperm,
      }),
    );
  }

  /**
   * Eval-mode detection on images [H, W, 3] (float32 RGB in [0, 1]): boxes in each input image's
   * pixels, 0-based labels, scores, and for the mask model the mask probabilities pasted into the
   * image ([D, H, W]). `stages` (optional) receives what each cascade stage saw and predicted.
   */
  predict(images: readonly tf.Tensor3D[], stages?: CascadeStageRecord[]): Detections[] {
    if (this.training) throw new Error('CascadeRcnn.predict: the model is in training mode; call eval() first (training returns losses: use losses())');
    const { images: batch, originalSizes } = this.transform.forward(images);
    try {
      const features = this.backbone.forward(batch.tensor);
      try {
        const { proposals, logits } = this.proposalGenerator.forward(batch, features);
        tf.dispose(logits);
        try {
          const out = this.roiHeads.infer(features, proposals, batch.imageSizes);
          if (stages) stages.push(...out.stages);
          try {
            return this.transform.postprocess(out.detections, batch.imageSizes, originalSizes);
          } finally {
            for (const d of out.detections) disposeInstances(d);
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

  /** Training-mode losses under detectron2's names (loss_rpn_cls, loss_rpn_loc, loss_cls_stage{k}, loss_box_reg_stage{k}, loss_mask). */
  losses(images: readonly tf.Tensor3D[], targets: readonly CascadeRcnnTargets[]): CascadeLosses {
    if (!this.training) throw new Error('CascadeRcnn.losses: the model is in eval mode; call train() first');
    if (targets.length !== images.length) throw new Error(`CascadeRcnn.losses: ${targets.length} targets for ${images.length} images`);
    const t = this.transform.forward(images, targets);
    const boxes = t.boxes as tf.Tensor2D[];
    try {
      const features = this.backbone.forward(t.images.tensor);
      try {
        const rpn = this.proposalGenerator.forward(t.images, features, boxes);
        tf.dispose(rpn.logits);
        try {
          const roi = this.roiHeads.losses(features, rpn.proposals, t.images.imageSizes, targets.map((x, i) => ({ boxes: boxes[i], classes: x.classes, masks: t.masks?.[i] })));
          if (!rpn.losses) throw new Error('CascadeRcnn.losses: the RPN returned no losses in training mode');
          return { ...rpn.losses, ...roi };
        } finally {
          tf.dispose(rpn.proposals);
        }
      } finally {
        tf.dispose(Object.values(features));
      }
    } finally {
      tf.dispose([t.images.tensor, ...boxes, ...(t.masks ?? [])]);
    }
  }
}
