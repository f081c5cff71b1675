import type { BackboneOptions } from '@tfvision/backbones';

/**
 * A two-stage detector as data: every constant a preset or a config file may set, each with the
 * reference default it reproduces (torchvision 0.14's fasterrcnn_resnet50_fpn). Presets
 * (registry.ts) are tables of these; configs override fields.
 */
export interface RcnnConfig {
  /** 'faster_rcnn' (boxes) or 'mask_rcnn' (boxes and masks). */
  type: 'faster_rcnn' | 'mask_rcnn';
  /** Classes including the background at index 0 (COCO: 91, torchvision's category ids). */
  numClasses: number;
  backbone: {
    /** Any registered backbone. */
    name: string;
    options?: BackboneOptions;
  };
  neck: {
    inFeatures: ('c2' | 'c3' | 'c4' | 'c5')[];
    outChannels: number;
    /** v2 puts BatchNorm in the FPN. */
    norm: 'none' | 'bn';
  };
  rpn: {
    /** Anchor sizes per FPN level (one level each for the FPN presets). */
    anchorSizes: number[][];
    aspectRatios: number[];
    /** Shared 3x3 convs: 1 (v1), 2 (v2). */
    convDepth: number;
    preNmsTopN: { training: number; testing: number };
    postNmsTopN: { training: number; testing: number };
    nmsThresh: number;
    fgIouThresh: number;
    bgIouThresh: number;
    batchSizePerImage: number;
    positiveFraction: number;
    scoreThresh: number;
  };
  roiHeads: {
    /** 'two_mlp' (v1: fc6, fc7) or 'conv_fc' (v2: four conv+BN, one fc). */
    boxHead: 'two_mlp' | 'conv_fc';
    representationSize: number;
    poolSize: number;
    samplingRatio: number;
    fgIouThresh: number;
    bgIouThresh: number;
    batchSizePerImage: number;
    positiveFraction: number;
    bboxRegWeights: [number, number, number, number];
    /** Strict: a detection needs score > scoreThresh (torchvision's box_score_thresh). */
    scoreThresh: number;
    nmsThresh: number;
    detectionsPerImg: number;
    /** Mask R-CNN only. */
    mask?: { poolSize: number; samplingRatio: number; layers: number[]; norm: 'none' | 'bn'; dimReduced: number };
  };
  transform: {
    /** Test uses the last; training draws one per image (multi-scale). */
    minSize: number[];
    maxSize: number;
    imageMean: [number, number, number];
    imageStd: [number, number, number];
    sizeDivisible: number;
  };
}

/** torchvision's defaults (faster_rcnn.py, mask_rcnn.py) for a v1 detector over `backbone`. */
export function torchvisionRcnnDefaults(type: RcnnConfig['type'], backbone: string, backboneOptions: BackboneOptions = {}): RcnnConfig {
  return {
    type,
    numClasses: 91,
    backbone: { name: backbone, options: backboneOptions },
    neck: { inFeatures: ['c2', 'c3', 'c4', 'c5'], outChannels: 256, norm: 'none' },
    rpn: {
      anchorSizes: [[32], [64], [128], [256], [512]],
      aspectRatios: [0.5, 1.0, 2.0],
      convDepth: 1,
      preNmsTopN: { training: 2000, testing: 1000 },
      postNmsTopN: { training: 2000, testing: 1000 },
      nmsThresh: 0.7,
      fgIouThresh: 0.7,
      bgIouThresh: 0.3,
      batchSizePerImage: 256,
      positiveFraction: 0.5,
      scoreThresh: 0.0,
    },
    roiHeads: {
      boxHead: 'two_mlp',
      representationSize: 1024,
      poolSize: 7,
      samplingRatio: 2,
      fgIouThresh: 0.5,
      bgIouThresh: 0.5,
      batchSizePerImage: 512,
      positiveFraction: 0.25,
      bboxRegWeights: [10, 10, 5, 5],
      scoreThresh: 0.05,
      nmsThresh: 0.5,
      detectionsPerImg: 100,
      mask: type === 'mask_rcnn' ? { poolSize: 14, samplingRatio: 2, layers: [256, 256, 256, 256], norm: 'none', dimReduced: 256 } : undefined,
    },
    transform: { minSize: [800], maxSize: 1333, imageMean: [0.485, 0.456, 0.406], imageStd: [0.229, 0.224, 0.225], sizeDivisible: 32 },
  };
}

/** torchvision's _v2 detectors (Li et al., "Benchmarking Detection Transfer Learning with Vision Transformers"): BN in the FPN, two RPN convs, the 4conv+1fc box head, BN in the mask head; the backbone trains its BatchNorm. */
export function torchvisionRcnnV2Defaults(type: RcnnConfig['type'], backbone: string): RcnnConfig {
  const c = torchvisionRcnnDefaults(type, backbone, { norm: 'bn' });
  c.neck.norm = 'bn';
  c.rpn.convDepth = 2;
  c.roiHeads.boxHead = 'conv_fc';
  if (c.roiHeads.mask) c.roiHeads.mask.norm = 'bn';
  return c;
}
