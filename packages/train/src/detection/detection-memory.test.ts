/**
 * DESIGN's no-leak rule over a detection run (issue 17: the tensor count is flat over training):
 * 30 steps of a tiny Mask R-CNN through the full run, with evaluations and checkpoints every 10
 * steps, leave tf.memory().numTensors where it was before the first step after every step; closing
 * the run frees every tensor it made. The 200-step version is detection-memory.slow.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { traceDetectionMemory } from './__tests__/memory-run.js';

const root = mkdtempSync(join(tmpdir(), 'tfvision-det-memory-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend({ backend: 'wasm', report: false });
});

describe('detection training memory', () => {
  it('keeps tf.memory().numTensors flat over 30 Mask R-CNN steps with evaluations and checkpoints', async () => {
    const start = tf.memory().numTensors;
    const t = await traceDetectionMemory(root, 30, 10);
    process.stdout.write(`detection memory, 30 steps: before ${t.before}, after steps ${[...new Set(t.tensors)].join('/')} tensors, ${[...new Set(t.bytes)].join('/')} bytes, ${t.stepsPerSecond.toFixed(2)} it/s\n`);
    expect(t.tensors).toHaveLength(30);
    expect(t.lossNames).toEqual(['loss_box_reg', 'loss_classifier', 'loss_mask', 'loss_objectness', 'loss_rpn_box_reg']);
    expect(t.tensors).toEqual(new Array(30).fill(t.before));
    // Bytes too: no tensor is swapped for a bigger one (a cache growing with the multi-scale shapes).
    expect(t.bytes).toEqual(new Array(30).fill(t.bytes[0]));
    expect(t.afterClose).toBe(start);
  }, 300_000);
});
