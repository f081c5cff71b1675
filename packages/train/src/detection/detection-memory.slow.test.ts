/**
 * DESIGN's no-leak rule over a detection run (issue 17: the tensor count is flat over training):
 * 200 steps of a tiny Mask R-CNN through the full run, with evaluations and checkpoints every 25
 * steps, leave tf.memory().numTensors where it was before the first step after every step; closing
 * the run frees every tensor it made. Minutes on two cores: the 30-step version is in
 * detection-memory.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { traceDetectionMemory } from './__tests__/memory-run.js';

const root = mkdtempSync(join(tmpdir(), 'tfvision-det-memory-slow-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend({ backend: 'wasm', report: false });
});

describe('detection training memory', () => {
  it('keeps tf.memory().numTensors flat over 200 Mask R-CNN steps with evaluations and checkpoints', async () => {
    const start = tf.memory().numTensors;
    const t = await traceDetectionMemory(root, 200, 25);
    process.stdout.write(`detection memory, 200 steps: before ${t.before}, after steps ${[...new Set(t.tensors)].join('/')} tensors, ${[...new Set(t.bytes)].join('/')} bytes, ${t.stepsPerSecond.toFixed(2)} it/s\n`);
    expect(t.tensors).toHaveLength(200);
    expect(t.lossNames).toEqual(['loss_box_reg', 'loss_classifier', 'loss_mask', 'loss_objectness', 'loss_rpn_box_reg']);
    expect(t.tensors).toEqual(new Array(200).fill(t.before));
    // Bytes too: no tensor is swapped for a bigger one (a cache growing with the multi-scale shapes).
    expect(t.bytes).toEqual(new Array(200).fill(t.bytes[0]));
    expect(t.afterClose).toBe(start);
  }, 900_000);
});
