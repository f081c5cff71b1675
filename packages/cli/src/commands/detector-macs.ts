/**
 * Multiply-accumulates of one eval-mode forward pass of a two-stage detector, counted as
 * fvcore counts them (and as @tfvision/backbones' countMacs counts backbones): every
 * convolution (output elements x kernel taps x input channels per group), transposed
 * convolution (input elements x kernel taps x output channels) and linear layer (rows x in x
 * out); no elementwise ops, norms, pools, RoIAlign, NMS or mask pasting.
 *
 * What runs depends on the image only through sizes and counts, so the count fixes them: the
 * batch is one padded image of `height` x `width` (the transform's output; 800x1088 is an
 * 800-pixel short side of a 4:3 image padded to 32), the box branch sees the preset's test-time
 * post-NMS proposal count (rpn.postNmsTopN.testing, 1000) and the mask branch its detection
 * count (roiHeads.detectionsPerImg, 100): what torchvision runs when enough boxes survive, e.g.
 * with box_score_thresh 0 (tools/reference/detector_macs.py counts the same on torchvision).
 *
 * Each convolution and linear layer is replaced, while counting, by one that returns zeros of
 * its output shape: the count needs shapes only, and a real 800x1088 ResNet-50 forward takes
 * seconds on wasm and minutes on the JS cpu backend. The other ops still run, on zeros.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, ConvTranspose2d, Linear, outputSize, resolvePadding, type Module } from '@tfvision/nn';
import type { GeneralizedRcnn } from '@tfvision/heads';

/** MACs per part, under torchvision's module names. */
export interface DetectorMacs {
  macs: number;
  parts: {
    'backbone.body': number;
    'backbone.fpn': number;
    'rpn.head': number;
    'roi_heads.box_head': number;
    'roi_heads.box_predictor': number;
    'roi_heads.mask_head'?: number;
    'roi_heads.mask_predictor'?: number;
  };
  /** Padded input [3, H, W], and the counts the RoI heads were counted at. */
  inputSize: [number, number, number];
  proposals: number;
  detections?: number;
}

/** Replaces the forward passes of every conv/linear layer under `root` with shape-only ones that add to `counter.macs`; returns the undo. */
function shapeOnly(root: Module, counter: { macs: number }): () => void {
  const restore: (() => void)[] = [];
  const override = (m: object, key: string, fn: unknown) => {
    (m as Record<string, unknown>)[key] = fn;
    restore.push(() => delete (m as Record<string, unknown>)[key]);
  };
  for (const [, m] of root.namedModules()) {
    if (m instanceof Conv2d) {
      const conv = m;
      const run = (x: tf.Tensor4D): tf.Tensor4D => {
        if (x.shape[3] !== conv.inChannels) throw new Error(`countDetectorMacs: a Conv2d expects ${conv.inChannels} channels, got [${x.shape}]`);
        const [n, h, w] = x.shape;
        const [[pt, pb], [pl, pr]] = resolvePadding(conv.padding, h, w, conv.kernelSize, conv.stride, conv.dilation);
        const oh = outputSize(h, conv.kernelSize[0], conv.stride[0], conv.dilation[0], pt, pb);
        const ow = outputSize(w, conv.kernelSize[1], conv.stride[1], conv.dilation[1], pl, pr);
        counter.macs += n * oh * ow * conv.outChannels * conv.kernelSize[0] * conv.kernelSize[1] * (conv.inChannels / conv.groups);
        return tf.zeros([n, oh, ow, conv.outChannels]);
      };
      override(conv, 'forward', run);
      // Convolutions with BatchNorm folded in (convBn in eval mode) run through this instead.
      override(conv, 'forwardWithWeights', (x: tf.Tensor4D) => run(x));
    } else if (m instanceof ConvTranspose2d) {
      const deconv = m;
      override(deconv, 'forward', (x: tf.Tensor4D): tf.Tensor4D => {
        const [n, h, w] = x.shape;
        const [kh, kw] = deconv.kernelSize;
        const [sh, sw] = deconv.stride;
        counter.macs += n * h * w * deconv.inChannels * deconv.outChannels * kh * kw;
        return tf.zeros([n, (h - 1) * sh + kh, (w - 1) * sw + kw, deconv.outChannels]);
      });
    } else if (m instanceof Linear) {
      const lin = m;
      override(lin, 'forward', (x: tf.Tensor2D): tf.Tensor2D => {
        counter.macs += x.shape[0] * lin.inFeatures * lin.outFeatures;
        return tf.zeros([x.shape[0], lin.outFeatures]);
      });
    }
  }
  return () => {
    for (const r of restore) r();
  };
}

/** The MACs of `model` (built by createDetector) on one padded `height` x `width` image; see the module comment for what is counted. */
export function countDetectorMacs(model: GeneralizedRcnn, height = 800, width = 1088): DetectorMacs {
  for (const [k, v] of [['height', height], ['width', width]] as const) {
    if (!Number.isInteger(v) || v < 32) throw new Error(`countDetectorMacs: ${k} must be an integer >= 32, got ${v}`);
  }
  const { config } = model;
  const proposals = config.rpn.postNmsTopN.testing;
  const detections = config.roiHeads.mask ? config.roiHeads.detectionsPerImg : undefined;
  const c = model.backbone.outChannels;
  const wasTraining = model.training;
  model.eval();
  /** Runs `run` with `part` counting; returns its MACs and what `run` returned (kept by the tidy). */
  const counted = <T extends tf.TensorContainer>(part: Module, run: () => T): [number, T] => {
    const counter = { macs: 0 };
    const undo = shapeOnly(part, counter);
    try {
      const out = tf.tidy(run);
      return [counter.macs, out];
    } finally {
      undo();
    }
  };
  try {
    const { body, fpn, inFeatures, outFeatures } = model.backbone;
    const roi = model.roiHeads;
    const pool = config.roiHeads.poolSize;
    // Part by part, so each counter sees only its own layers.
    const [bodyMacs, levels] = counted(body, () => body.forwardFeatures(tf.zeros([1, height, width, 3]) as tf.Tensor4D, inFeatures) as Record<string, tf.Tensor4D>);
    const [fpnMacs, pyramid] = counted(fpn, () => fpn.forward(levels));
    tf.dispose(Object.values(levels));
    const [rpnMacs, rpnOut] = counted(model.rpn.head, () => {
      const { objectness, deltas } = model.rpn.head.forward(outFeatures.map((n) => pyramid[n]));
      return [...objectness, ...deltas];
    });
    tf.dispose([...Object.values(pyramid), ...rpnOut]);
    const [boxHeadMacs, boxFeatures] = counted(roi.boxHead as unknown as Module, () => roi.boxHead.forward(tf.zeros([proposals, pool, pool, c]) as tf.Tensor4D));
    const [predictorMacs, predictions] = counted(roi.boxPredictor, () => {
      const { classLogits, boxDeltas } = roi.boxPredictor.forward(boxFeatures);
      return [classLogits, boxDeltas];
    });
    tf.dispose([boxFeatures, ...predictions]);
    const parts: DetectorMacs['parts'] = { 'backbone.body': bodyMacs, 'backbone.fpn': fpnMacs, 'rpn.head': rpnMacs, 'roi_heads.box_head': boxHeadMacs, 'roi_heads.box_predictor': predictorMacs };
    const { maskHead, maskPredictor } = roi;
    const mask = config.roiHeads.mask;
    if (maskHead && maskPredictor && mask && detections !== undefined) {
      const [maskHeadMacs, maskFeatures] = counted(maskHead, () => maskHead.forward(tf.zeros([detections, mask.poolSize, mask.poolSize, c]) as tf.Tensor4D));
      const [maskPredictorMacs, logits] = counted(maskPredictor, () => maskPredictor.forward(maskFeatures));
      tf.dispose([maskFeatures, logits]);
      parts['roi_heads.mask_head'] = maskHeadMacs;
      parts['roi_heads.mask_predictor'] = maskPredictorMacs;
    }
    const macs = Object.values(parts).reduce((a, b) => a + b, 0);
    return { macs, parts, inputSize: [3, height, width], proposals, ...(detections !== undefined ? { detections } : {}) };
  } finally {
    // The shape-only pass filled BatchNorm-folding caches; free them, and restore the mode.
    for (const [, m] of model.namedModules()) m.releaseInferenceCache();
    model.train(wasTraining);
  }
}
