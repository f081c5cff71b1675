import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Module, initBackend } from '@tfvision/nn';
import { countMacs, createBackbone } from '@tfvision/backbones';
import { createDetector } from '@tfvision/heads';
import { countDetectorMacs } from './detector-macs.js';

interface Reference {
  batch: number[];
  proposals: number;
  detections: number;
  parts: Record<string, number>;
  macs: number;
}

/** packages/cli/tools/reference/detector_macs.py: hooks on torchvision's own modules. */
const reference = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'detector-macs.json'), 'utf8')) as { models: Record<string, Reference> };

beforeAll(async () => {
  await initBackend({ backend: 'wasm', report: false });
});

describe('countDetectorMacs', () => {
  it.each(['maskrcnn_resnet50_fpn', 'fasterrcnn_resnet50_fpn_v2'])("%s at 800x1088 equals torchvision's counts part by part, leaving no tensors or hooks", (name) => {
    const ref = reference.models[name];
    expect(ref.batch).toEqual([1, 3, 800, 1088]);
    const model = createDetector(name);
    const before = tf.memory().numTensors;
    const got = countDetectorMacs(model, 800, 1088);
    expect(tf.memory().numTensors).toBe(before);
    expect(got.parts).toEqual(ref.parts);
    expect(got.macs).toBe(ref.macs);
    expect(got.proposals).toBe(ref.proposals);
    if (name.startsWith('mask')) expect(got.detections).toBe(ref.detections);
    // The hooks are gone: a real forward of the RPN head computes values again.
    const y = model.rpn.head.forward([tf.ones([1, 4, 4, 256]) as tf.Tensor4D]);
    expect(Math.abs(y.objectness[0].dataSync()[0])).toBeGreaterThan(0);
    tf.dispose([y.objectness, y.deltas]);
    model.dispose();
  });

  it.each(['resnest14d', 'efficientnet_b0', 'tf_efficientnet_b0', 'skresnet18'])("%s body: the shape-only count equals countMacs' real forward (stride, 'same' padding, split attention)", (backbone) => {
    const model = createDetector(`fasterrcnn_${backbone}_fpn`, { neck: { outChannels: 8 }, roiHeads: { representationSize: 8 } });
    // countMacs runs forward(): wrap the same body so that forward is forwardFeatures to c5.
    const body = createBackbone(backbone, { numClasses: 0 });
    class Features extends Module {
      readonly body = this.registerModule('body', body);
      forward(x: tf.Tensor4D) {
        return this.body.forwardFeatures(x, ['c2', 'c3', 'c4', 'c5']);
      }
    }
    const { convMacs, linearMacs } = countMacs(new Features(), 97, 130);
    body.dispose();
    expect(linearMacs).toBe(0);
    expect(countDetectorMacs(model, 97, 130).parts['backbone.body']).toBe(convMacs);
    model.dispose();
  });

  it('rejects a size below 32', () => {
    const model = createDetector('fasterrcnn_resnet18_fpn', { neck: { outChannels: 8 }, roiHeads: { representationSize: 8 } });
    expect(() => countDetectorMacs(model, 16, 64)).toThrow('countDetectorMacs: height must be an integer >= 32, got 16');
    model.dispose();
  });
});
