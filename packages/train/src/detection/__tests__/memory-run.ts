/**
 * Test support for the detection tensor-count checks: trains a tiny resnest14d Mask R-CNN (the
 * model with the most target and head tensors: mask targets, mask RoIAlign and head) through the
 * full run (buildDetectionRun: loader, trainer, every hook, with an evaluation and a checkpoint
 * every few steps) and records tf.memory() after each step, once the step's hooks are done.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Hook } from '../../engine/index.js';
import { loadDetectionConfig } from '../detection-config.js';
import { readDetectionLog, type DetectionTrainRecord } from '../detection-log.js';
import { buildDetectionRun } from '../detection-run.js';

export interface MemoryTrace {
  /** Live tensors before the first step (after the model and optimiser exist). */
  before: number;
  /** Live tensors and bytes after each step and its hooks (evaluation, checkpoint, log). */
  tensors: number[];
  bytes: number[];
  /** Live tensors once the run is closed (model and optimiser disposed). */
  afterClose: number;
  stepsPerSecond: number;
  /** The loss names of the first logged step (loss_mask shows the mask branch trained). */
  lossNames: string[];
}

/** Records tf.memory() after each step; registered last, so it runs after the run's own hooks. */
class MemoryHook implements Hook {
  before = -1;
  readonly tensors: number[] = [];
  readonly bytes: number[] = [];
  beforeTrain(): void {
    this.before = tf.memory().numTensors;
  }
  afterStep(): void {
    const m = tf.memory();
    this.tensors.push(m.numTensors);
    this.bytes.push(m.numBytes);
  }
}

/** `steps` Mask R-CNN training steps (batch 2, 64 px images at 48 or 64, flips) with an evaluation and a checkpoint every `every`. */
export async function traceDetectionMemory(root: string, steps: number, every: number): Promise<MemoryTrace> {
  const config = {
    model: {
      type: 'mask_rcnn',
      backbone: { name: 'resnest14d', options: { norm: 'bn', frozenStages: 0 } },
      neck: { outChannels: 16 },
      rpn: { anchorSizes: [[8], [16], [32], [64], [128]], batchSizePerImage: 16, preNmsTopN: { training: 60, testing: 30 }, postNmsTopN: { training: 30, testing: 10 } },
      roiHeads: { batchSizePerImage: 8, representationSize: 16, detectionsPerImg: 10, mask: { poolSize: 14, samplingRatio: 2, layers: [16], norm: 'none', dimReduced: 16 } },
      transform: { minSize: [48, 64], maxSize: 64 },
    },
    data: {
      root: join(root, 'data'),
      train: { annotations: 'train/annotations.json', images: 'train/images' },
      val: { annotations: 'val/annotations.json', images: 'val/images' },
      flipProb: 0.5,
      prefetch: 1,
      synth: { size: 64, colors: 'random', train: { images: 6, seed: 1 }, val: { images: 2, seed: 2 } },
    },
    optimizer: { lr: 0.16, batchSize: 2, momentum: 0.9, weightDecay: 1e-4, weightDecayNorm: 0, clipGradNorm: 10 },
    schedule: { iterations: steps, warmupIters: 3, warmupFactor: 0.001, milestones: [Math.floor(steps * 0.8)], gamma: 0.1 },
    eval: { everySteps: every, limit: 2 },
    checkpoint: { everySteps: every, keep: 1 },
    seed: 0,
  };
  const path = join(root, 'memory.json');
  writeFileSync(path, JSON.stringify(config));
  const run = await buildDetectionRun(loadDetectionConfig(path), { outDir: join(root, 'run'), progress: { write: () => true, isTTY: false } });
  const hook = new MemoryHook();
  let stepsPerSecond = 0;
  try {
    run.trainer.engine.registerHooks([hook]);
    stepsPerSecond = (await run.trainer.run()).stepsPerSecond;
  } finally {
    run.close();
  }
  const first = readDetectionLog(join(root, 'run', 'log.jsonl')).find((r): r is DetectionTrainRecord => r.type === 'train');
  return { before: hook.before, tensors: hook.tensors, bytes: hook.bytes, afterClose: tf.memory().numTensors, stepsPerSecond, lossNames: Object.keys(first?.losses ?? {}).sort() };
}
