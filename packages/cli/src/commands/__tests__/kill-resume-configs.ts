/**
 * Tiny configs for the kill -9 tests, extending the bundled synthetic ones: seconds per run on
 * two cores, every random stream of the recipe left on (multi-scale resize, flips, samplers; for
 * segmentation random scale and crop).
 */
import { join } from 'node:path';

/** resnest14d Faster R-CNN, 16-channel FPN, 6 training images of 64 px at sizes 48 or 64, batch 2. */
export function tinyDetConfig(bundled: string, dataRoot: string, checkpointEvery: number): Record<string, unknown> {
  return {
    extends: join(bundled, 'faster_rcnn_resnest14d_fpn_synth.json'),
    model: {
      neck: { outChannels: 16 },
      rpn: { batchSizePerImage: 16, preNmsTopN: { training: 60, testing: 30 }, postNmsTopN: { training: 30, testing: 10 } },
      roiHeads: { batchSizePerImage: 8, representationSize: 16 },
      transform: { minSize: [48, 64], maxSize: 64 },
    },
    data: { root: dataRoot, synth: { size: 64, train: { images: 6, seed: 1 }, val: { images: 2, seed: 2 } } },
    schedule: { iterations: 100, warmupIters: 3, milestones: [8] },
    eval: { everySteps: false },
    checkpoint: { everySteps: checkpointEvery, keep: 2 },
  };
}

/** resnest14d DeepLabV3 with a 16-channel head, crops of 40 px from 48 px images scaled to 32..48, batch 2. */
export function tinySegConfig(bundled: string, dataRoot: string, checkpointEvery: number): Record<string, unknown> {
  return {
    extends: join(bundled, 'deeplabv3_resnest14d_synth.json'),
    model: { head: { channels: 16 } },
    data: { root: dataRoot, scale: [32, 48], cropSize: 40, synth: { size: 48, train: { images: 6, seed: 1 }, val: { images: 2, seed: 2 } } },
    optimizer: { batchSize: 2 },
    schedule: { iterations: 100 },
    eval: { everySteps: false, draw: 0 },
    checkpoint: { everySteps: checkpointEvery, keep: 2 },
  };
}
