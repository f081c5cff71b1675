import * as tf from '@tensorflow/tfjs-core';
import type { Backbone } from '@tfvision/backbones';
import { crossEntropy } from '@tfvision/nn';
import { ClassificationMetrics } from '@tfvision/eval';
import type { BatchSource } from './batch-source.js';

export interface EvalResult {
  top1: number;
  top5: number;
  /** Mean cross entropy against the hard labels. */
  loss: number;
  samples: number;
}

/** Top-1/top-5 accuracy and loss over one pass of `data`, the model in eval mode (BN running stats). */
export async function evaluateClassifier(model: Backbone, data: BatchSource, numClasses: number): Promise<EvalResult> {
  const wasTraining = model.training;
  model.eval();
  const k5 = Math.min(5, numClasses);
  const metrics = new ClassificationMetrics(numClasses, { topK: [1, k5] });
  let lossSum = 0;
  try {
    for await (const b of data.epoch(0)) {
      const [logits, loss] = tf.tidy(() => {
        const out = model.forward(tf.tensor4d(b.images, [b.n, b.height, b.width, b.channels]));
        const ce = crossEntropy(out as tf.Tensor2D, b.labels, { reduction: 'sum' });
        return [out, ce];
      });
      const scores = (await logits.data()) as Float32Array;
      lossSum += (await loss.data())[0];
      tf.dispose([logits, loss]);
      metrics.update(scores, b.labels);
    }
  } finally {
    if (wasTraining) model.train();
  }
  const r = metrics.compute();
  return { top1: r.topK[1], top5: r.topK[k5], loss: lossSum / Math.max(1, r.samples), samples: r.samples };
}
