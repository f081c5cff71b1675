import type { BackboneOptions } from '@tfvision/backbones';
import type { BoxCoderWeights } from '../ops/box-coder.js';

/**
 * A Cascade (Mask) R-CNN as data, detectron2's config keys by another name, each defaulting to
 * detectron2's (config/defaults.py and configs/Misc/cascade_mask_rcnn_R_50_FPN_1x.yaml @02b5c4e).
 * Presets (registry.ts) are tables of these; configs override fields.
 */
export interface CascadeRcnnConfig {
  /** 'cascade_rcnn' (boxes) or 'cascade_mask_rcnn' (MODEL.MASK_ON). */
  type: 'cascade_rcnn' | 'cascade_mask_rcnn';
  /** Foreground classes (ROI_HEADS.NUM_CLASSES, 80 for COCO); labels are 0-based, the background is the extra last column. */
  numClasses: number;
  backbone: {
    name: string;
    options?: BackboneOptions;
  };
  neck: {
    inFeatures: ('c2' | 'c3' | 'c4' | 'c5')[];
    /** FPN.OUT_CHANNELS. */
    outChannels: number;
  };
  rpn: {
    /** ANCHOR_GENERATOR.SIZES, one list per level p2..p6. */
    anchorSizes: number[][];
    /** ANCHOR_GENERATOR.ASPECT_RATIOS (h / w). */
    aspectRatios: number[];
    /** ANCHOR_GENERATOR.OFFSET: 0 puts the first anchor's centre on the image corner. */
    anchorOffset: number;
    /** RPN.PRE_NMS_TOPK_TRAIN / _TEST: per level. */
    preNmsTopK: { training: number; testing: number };
    /** RPN.POST_NMS_TOPK_TRAIN / _TEST: per image (2000 in training for the cascade config). */
    postNmsTopK: { training: number; testing: number };
    nmsThresh: number;
    /** PROPOSAL_GENERATOR.MIN_SIZE: proposals need w, h > this. */
    minSize: number;
    /** RPN.IOU_THRESHOLDS [background below, foreground from]. */
    iouThresholds: [number, number];
    batchSizePerImage: number;
    positiveFraction: number;
    /** RPN.SMOOTH_L1_BETA: 0 is L1. */
    smoothL1Beta: number;
  };
  roiHeads: {
    /** ROI_BOX_CASCADE_HEAD.IOUS: the matching IoU of each stage. */
    stageIous: number[];
    /** ROI_BOX_CASCADE_HEAD.BBOX_REG_WEIGHTS: tighter targets stage after stage. */
    stageWeights: BoxCoderWeights[];
    /** ROI_BOX_HEAD.POOLER_RESOLUTION. */
    poolSize: number;
    /** ROI_BOX_HEAD.POOLER_SAMPLING_RATIO (0: adaptive, ROIAlignV2). */
    samplingRatio: number;
    /** ROI_BOX_HEAD.FC_DIM of the 2-fc head. */
    representationSize: number;
    /** ROI_HEADS.BATCH_SIZE_PER_IMAGE: stage 0's sampled RoIs. */
    batchSizePerImage: number;
    positiveFraction: number;
    /** ROI_BOX_HEAD.SMOOTH_L1_BETA: 0 is L1. */
    smoothL1Beta: number;
    /** ROI_HEADS.SCORE_THRESH_TEST: strict. */
    scoreThresh: number;
    /** ROI_HEADS.NMS_THRESH_TEST. */
    nmsThresh: number;
    /** TEST.DETECTIONS_PER_IMAGE. */
    detectionsPerImage: number;
    /** ROI_MASK_HEAD (cascade_mask_rcnn only): resolution, sampling ratio, conv channels. */
    mask?: { poolSize: number; samplingRatio: number; convDims: number[] };
  };
  transform: {
    minSizeTest: number;
    maxSizeTest: number;
    /** INPUT.MIN_SIZE_TRAIN, sampled per image ("choice"). */
    minSizeTrain: number[];
    maxSizeTrain: number;
    /** MODEL.PIXEL_MEAN / PIXEL_STD in the model's channel order on 0-255 input. */
    pixelMean: [number, number, number];
    pixelStd: [number, number, number];
    /** INPUT.FORMAT: the backbone's channel order (inputs are RGB; zoo checkpoints are BGR). */
    inputFormat: 'RGB' | 'BGR';
    /** [0, 1] input times this is detectron2's pixel range. */
    inputScale: number;
    sizeDivisibility: number;
  };
}

/**
 * detectron2's Misc/cascade_mask_rcnn_R_50_FPN_1x over `backbone`, as the ResNeSt paper's
 * detectron2 baselines run it: the torchvision-style ResNet (RESNETS.STRIDE_IN_1X1 False, stride
 * in the 3x3), RGB input with torchvision's mean/std x 255, FrozenBN, stem and first stage frozen
 * (FREEZE_AT 2).
 */
export function detectron2CascadeDefaults(type: CascadeRcnnConfig['type'], backbone: string, backboneOptions: BackboneOptions = { norm: 'frozen_bn', frozenStages: 1 }): CascadeRcnnConfig {
  return {
    type,
    numClasses: 80,
    backbone: { name: backbone, options: backboneOptions },
    neck: { inFeatures: ['c2', 'c3', 'c4', 'c5'], outChannels: 256 },
    rpn: {
      anchorSizes: [[32], [64], [128], [256], [512]],
      aspectRatios: [0.5, 1.0, 2.0],
      anchorOffset: 0,
      preNmsTopK: { training: 2000, testing: 1000 },
      postNmsTopK: { training: 2000, testing: 1000 },
      nmsThresh: 0.7,
      minSize: 0,
      iouThresholds: [0.3, 0.7],
      batchSizePerImage: 256,
      positiveFraction: 0.5,
      smoothL1Beta: 0,
    },
    roiHeads: {
      stageIous: [0.5, 0.6, 0.7],
      stageWeights: [
        [10, 10, 5, 5],
        [20, 20, 10, 10],
        [30, 30, 15, 15],
      ],
      poolSize: 7,
      samplingRatio: 0,
      representationSize: 1024,
      batchSizePerImage: 512,
      positiveFraction: 0.25,
      smoothL1Beta: 0,
      scoreThresh: 0.05,
      nmsThresh: 0.5,
      detectionsPerImage: 100,
      mask: type === 'cascade_mask_rcnn' ? { poolSize: 14, samplingRatio: 0, convDims: [256, 256, 256, 256] } : undefined,
    },
    transform: {
      minSizeTest: 800,
      maxSizeTest: 1333,
      minSizeTrain: [640, 672, 704, 736, 768, 800],
      maxSizeTrain: 1333,
      pixelMean: [123.675, 116.28, 103.53],
      pixelStd: [58.395, 57.12, 57.375],
      inputFormat: 'RGB',
      inputScale: 255,
      sizeDivisibility: 32,
    },
  };
}
