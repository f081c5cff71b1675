/**
 * Test support: a complete Cascade R-CNN training config small enough for seconds on a CPU
 * (resnest14d with BatchNorm, 16-channel FPN, 64 px synthetic images, small RPN and RoI samples,
 * detectron2's key names), written as data so tests derive their variants by deep merge.
 */
export function tinyCascadeConfig(dataRoot: string): Record<string, unknown> {
  return {
    model: {
      type: 'cascade_rcnn',
      backbone: { name: 'resnest14d', options: { norm: 'bn', frozenStages: 0 } },
      neck: { outChannels: 16 },
      rpn: { anchorSizes: [[8], [16], [32], [64], [128]], batchSizePerImage: 32, preNmsTopK: { training: 100, testing: 50 }, postNmsTopK: { training: 50, testing: 20 } },
      roiHeads: { batchSizePerImage: 16, representationSize: 32, detectionsPerImage: 10 },
      transform: { minSizeTrain: [64], maxSizeTrain: 64, minSizeTest: 64, maxSizeTest: 64 },
    },
    data: {
      root: dataRoot,
      train: { annotations: 'train/annotations.json', images: 'train/images' },
      val: { annotations: 'val/annotations.json', images: 'val/images' },
      flipProb: 0.5,
      prefetch: 1,
      synth: { size: 64, colors: 'random', train: { images: 8, seed: 1 }, val: { images: 4, seed: 2 } },
    },
    optimizer: { lr: 0.16, batchSize: 2, momentum: 0.9, weightDecay: 1e-4, weightDecayNorm: 0, clipGradNorm: 10 },
    schedule: { iterations: 4, warmupIters: 1, warmupFactor: 0.001, milestones: [], gamma: 0.1 },
    eval: { everySteps: false, limit: 4 },
    checkpoint: { everySteps: 100, keep: 1 },
    seed: 0,
  };
}
