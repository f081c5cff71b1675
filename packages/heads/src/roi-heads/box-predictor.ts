import * as tf from '@tensorflow/tfjs-core';
import { Linear, Module } from '@tfvision/nn';

/** Class logits [K, numClasses] and box deltas [K, 4 * numClasses] (class c at 4c..4c+3), or [K, 4] class-agnostic. */
export interface BoxPredictions {
  classLogits: tf.Tensor2D;
  boxDeltas: tf.Tensor2D;
}

/**
 * torchvision's FastRCNNPredictor (`cls_score`, `bbox_pred`); numClasses counts the background
 * (torchvision: class 0; detectron2 puts it last). `classAgnostic` predicts one box per RoI
 * (detectron2's cascade stages).
 */
export class FastRcnnPredictor extends Module {
  readonly clsScore: Linear;
  readonly bboxPred: Linear;
  readonly numClasses: number;
  readonly classAgnostic: boolean;

  constructor(o: { inFeatures: number; numClasses: number; classAgnostic?: boolean }) {
    super();
    if (!Number.isInteger(o.numClasses) || o.numClasses < 2) throw new Error(`FastRcnnPredictor: numClasses must count the background and one class at least, got ${o.numClasses}`);
    this.numClasses = o.numClasses;
    this.classAgnostic = o.classAgnostic ?? false;
    this.clsScore = this.registerModule('cls_score', new Linear({ inFeatures: o.inFeatures, outFeatures: o.numClasses }));
    this.bboxPred = this.registerModule('bbox_pred', new Linear({ inFeatures: o.inFeatures, outFeatures: this.classAgnostic ? 4 : 4 * o.numClasses }));
  }

  forward(x: tf.Tensor2D): BoxPredictions {
    return { classLogits: this.clsScore.forward(x), boxDeltas: this.bboxPred.forward(x) };
  }
}
