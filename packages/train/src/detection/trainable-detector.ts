/**
 * What the detection trainer and evaluator need of a detector, met by both families as they
 * are: torchvision's GeneralizedRcnn (Faster / Mask R-CNN) and detectron2's CascadeRcnn
 * (Cascade / Cascade Mask R-CNN). Training targets carry both label conventions at once
 * (torchvision's labels tensor 1..K with 0 the background, detectron2's 0-based classes with the
 * background last), so one batch feeds either model; predictions follow the model's own
 * convention and `firstForegroundLabel` says which it is.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { CascadeLosses, CascadeRcnnTargets, DetectionTargets, Detections, RcnnLosses } from '@tfvision/heads';
import type { Module } from '@tfvision/nn';

export type DetectorType = 'faster_rcnn' | 'mask_rcnn' | 'cascade_rcnn' | 'cascade_mask_rcnn';

/** One image's ground truth in both conventions: `labels` 1..K (torchvision), `classes` = labels − 1 (detectron2). */
export type TrainingTargets = DetectionTargets & CascadeRcnnTargets;

export interface TrainableDetector extends Module {
  readonly config: { readonly type: DetectorType };
  /** Training-mode loss dict under the reference's names (torchvision's or detectron2's). */
  losses(images: readonly tf.Tensor3D[], targets: readonly TrainingTargets[]): RcnnLosses | CascadeLosses;
  /** Eval-mode detections in each input image's pixels (new tensors). */
  predict(images: readonly tf.Tensor3D[]): Detections[];
}

export function isCascadeType(type: DetectorType): type is 'cascade_rcnn' | 'cascade_mask_rcnn' {
  return type === 'cascade_rcnn' || type === 'cascade_mask_rcnn';
}

/** Whether the detector has a mask head (its training targets need masks, its evaluation scores segm). */
export function detectorHasMasks(model: Pick<TrainableDetector, 'config'>): boolean {
  return model.config.type === 'mask_rcnn' || model.config.type === 'cascade_mask_rcnn';
}

/** The predicted label of the first category: 1 for torchvision's models (0 is the background), 0 for detectron2's. */
export function firstForegroundLabel(model: Pick<TrainableDetector, 'config'>): 0 | 1 {
  return isCascadeType(model.config.type) ? 0 : 1;
}
