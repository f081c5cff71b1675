/**
 * Segmenter checkpoints: export then strict load gives the same logits (a round trip through a
 * safetensors file in PyTorch layouts), the file's keys are the reference's (torchvision's
 * DeepLabHead `classifier.4`, smp's `segmentation_head.0`), and a file that does not fit is a
 * one-line error naming the keys and the cause.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, readSafetensors } from '@tfvision/nn';
import { fillHashWeights } from '../testing/hash-weights.js';
import { exportSegmenterCheckpoint, loadSegmenterCheckpoint, segmenterCheckpointLayout, segmenterCheckpointShape } from './checkpoint.js';
import { createSegmenter } from './registry.js';

const dir = mkdtempSync(join(tmpdir(), 'tfv-seg-ckpt-'));
const SMALL = { channels: 16, numClasses: 3, backboneOptions: { zeroInitLastBn: false } };

beforeAll(async () => {
  await initBackend({ backend: 'wasm', report: false });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each([
  ['deeplabv3_resnet18', { ...SMALL }, 'classifier.4.weight', [3, 16, 1, 1]],
  ['deeplabv3plus_resnet18', { ...SMALL, encoder: 'smp' as const, lowLevelChannels: 8 }, 'segmentation_head.0.weight', [3, 16, 1, 1]],
])('%s', (name, overrides, logitsKey, logitsShape) => {
  it('exports, loads strictly into a fresh model and gives identical logits', async () => {
    const a = createSegmenter(name, overrides);
    fillHashWeights(a);
    a.eval();
    const path = join(dir, `${name}.safetensors`);
    await exportSegmenterCheckpoint(a, path);
    const file = readSafetensors(path);
    expect(file.metadata).toEqual({ format: 'pt' });
    expect(file.tensors.get(logitsKey)?.shape).toEqual(logitsShape);
    expect(file.tensors.size).toBe(a.stateDict().size);
    expect(segmenterCheckpointShape(file.tensors, a.constructor.name === 'DeepLabV3' ? 'deeplabv3' : 'deeplabv3plus').numClasses).toBe(3);

    const b = createSegmenter(name, overrides).eval();
    const before = tf.memory().numTensors;
    const result = loadSegmenterCheckpoint(b, path);
    expect(tf.memory().numTensors).toBe(before);
    expect(result.missing).toEqual([]);
    expect(result.unexpected).toEqual([]);
    expect(result.loaded.length).toBe(file.tensors.size);

    const x = tf.randomUniform([1, 32, 48, 3], -1, 1, 'float32', 7) as tf.Tensor4D;
    const ya = a.forward(x);
    const yb = b.forward(x);
    expect(yb.out.shape).toEqual([1, 32, 48, 3]);
    expect(tf.max(tf.abs(tf.sub(ya.out, yb.out))).dataSync()[0]).toBe(0);
    tf.dispose([x, ya, yb]);
    a.dispose();
    b.dispose();
  });
});

describe('loadSegmenterCheckpoint errors', () => {
  it('names missing and unexpected keys, the other layout, the class count and the aux head', async () => {
    const v3 = createSegmenter('deeplabv3_resnet18', SMALL);
    const v3path = join(dir, 'v3.safetensors');
    await exportSegmenterCheckpoint(v3, v3path);
    const tensors = readSafetensors(v3path).tensors;
    expect(segmenterCheckpointLayout(tensors)).toBe('deeplabv3');
    expect(segmenterCheckpointShape(tensors, 'deeplabv3')).toEqual({ numClasses: 3, aux: true });

    const plus = createSegmenter('deeplabv3plus_resnet18', { ...SMALL, encoder: 'smp' });
    expect(() => loadSegmenterCheckpoint(plus, v3path)).toThrow(/v3\.safetensors: state dict does not match DeepLabV3Plus \(strict load, nothing assigned\): \d+ missing \[encoder\.conv1\.weight.*\d+ unexpected \[aux_classifier\..*; the checkpoint has torchvision's DeepLabV3 layout .* use the deeplabv3_\* preset/);

    const fourClasses = createSegmenter('deeplabv3_resnet18', { ...SMALL, numClasses: 4 });
    expect(() => loadSegmenterCheckpoint(fourClasses, tensors, { source: 'v3' })).toThrow(/4 mismatched \[classifier\.4\.weight.*the checkpoint has 3 classes, the model 4: build it with numClasses 3/);

    const noAux = createSegmenter('deeplabv3_resnet18', { ...SMALL, aux: false });
    expect(() => loadSegmenterCheckpoint(noAux, tensors, { source: 'v3' })).toThrow(/8 unexpected \[aux_classifier\.1\.num_batches_tracked, aux_classifier\.0\.weight.*the checkpoint has aux_classifier\.\*, the model no auxiliary head: build it with aux true/);

    const ddp = new Map([...tensors].map(([k, t]) => [`module.${k}`, t]));
    const fresh = createSegmenter('deeplabv3_resnet18', SMALL);
    expect(loadSegmenterCheckpoint(fresh, ddp).notes).toEqual(['stripped the "module." prefix from every key']);
    tensors.delete('backbone.layer4.1.bn2.weight');
    expect(() => loadSegmenterCheckpoint(fresh, tensors, { source: 'cut' })).toThrow('cut: state dict does not match DeepLabV3 (strict load, nothing assigned): 1 missing [backbone.layer4.1.bn2.weight]');
    [v3, plus, fourClasses, noAux, fresh].forEach((m) => m.dispose());
  });
});
