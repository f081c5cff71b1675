import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { createCascadeDetector, createDetector, getDetectorEntry, listDetectors } from './registry.js';
import { detectron2NameOf, detectron2Names, exportDetectron2StateDict, loadDetectron2StateDict } from './detectron2-checkpoint.js';
import type { CascadeRcnn } from './cascade-rcnn.js';
import { fillHashWeights } from '../testing/hash-weights.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

describe('detectron2 checkpoint names', () => {
  it('maps torchvision-style ResNet-50 names to detectron2\'s and leaves other backbones\' own names', () => {
    const c = ['c2', 'c3', 'c4', 'c5'];
    expect(detectron2NameOf('backbone.body.conv1.weight', 'resnet50', c)).toBe('backbone.bottom_up.stem.conv1.weight');
    expect(detectron2NameOf('backbone.body.bn1.running_var', 'resnet50', c)).toBe('backbone.bottom_up.stem.conv1.norm.running_var');
    expect(detectron2NameOf('backbone.body.layer3.5.bn2.bias', 'resnet50', c)).toBe('backbone.bottom_up.res4.5.conv2.norm.bias');
    expect(detectron2NameOf('backbone.body.layer1.0.downsample.1.weight', 'resnet50', c)).toBe('backbone.bottom_up.res2.0.shortcut.norm.weight');
    expect(detectron2NameOf('backbone.body.layer1.0.downsample.0.weight', 'resnet50', c)).toBe('backbone.bottom_up.res2.0.shortcut.weight');
    expect(detectron2NameOf('backbone.body.layer1.0.conv2.conv.weight', 'resnest50d', c)).toBe('backbone.bottom_up.layer1.0.conv2.conv.weight');
    expect(detectron2NameOf('backbone.fpn.inner_blocks.3.0.bias', 'resnet50', c)).toBe('backbone.fpn_lateral5.bias');
    expect(detectron2NameOf('backbone.fpn.layer_blocks.0.0.weight', 'resnet50', c)).toBe('backbone.fpn_output2.weight');
    expect(detectron2NameOf('proposal_generator.rpn_head.conv.0.0.weight', 'resnet50', c)).toBe('proposal_generator.rpn_head.conv.weight');
    expect(detectron2NameOf('proposal_generator.rpn_head.bbox_pred.bias', 'resnet50', c)).toBe('proposal_generator.rpn_head.anchor_deltas.bias');
    expect(detectron2NameOf('roi_heads.box_head.2.fc7.weight', 'resnet50', c)).toBe('roi_heads.box_head.2.fc2.weight');
    expect(detectron2NameOf('roi_heads.mask_head.3.0.weight', 'resnet50', c)).toBe('roi_heads.mask_head.mask_fcn4.weight');
    expect(detectron2NameOf('roi_heads.mask_predictor.conv5_mask.weight', 'resnet50', c)).toBe('roi_heads.mask_head.deconv.weight');
    expect(detectron2NameOf('roi_heads.mask_predictor.mask_fcn_logits.bias', 'resnet50', c)).toBe('roi_heads.mask_head.predictor.bias');
  });
});

describe('loadDetectron2StateDict / exportDetectron2StateDict', () => {
  let a: CascadeRcnn;
  let b: CascadeRcnn;
  const small = { roiHeads: { representationSize: 16 }, neck: { outChannels: 8 } };

  beforeAll(() => {
    a = createCascadeDetector('cascade_rcnn_resnet18_fpn', small);
    b = createCascadeDetector('cascade_rcnn_resnet18_fpn', small);
    fillHashWeights(a, detectron2Names(a).toDetectron2);
  });
  afterAll(() => {
    a.dispose();
    b.dispose();
  });

  it('round-trips every weight under detectron2\'s names, without num_batches_tracked', async () => {
    const exported = await exportDetectron2StateDict(a);
    expect([...exported.keys()].some((k) => k.endsWith('num_batches_tracked'))).toBe(false);
    expect(exported.has('roi_heads.box_predictor.1.bbox_pred.weight')).toBe(true);
    expect(exported.get('roi_heads.box_predictor.1.bbox_pred.weight')?.shape).toEqual([4, 16]);
    exported.set('__author__', { dtype: 'F32', shape: [1], data: new Float32Array(1) });
    const result = loadDetectron2StateDict(b, exported);
    expect(result.missing).toEqual([]);
    expect(result.unexpected).toEqual([]);
    const name = 'roi_heads.box_head.0.fc6.weight';
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a.stateDict().get(name) as tf.Variable, b.stateDict().get(name) as tf.Variable))).dataSync()[0]);
    expect(diff).toBe(0);
  });

  it('lists missing and unexpected keys by detectron2\'s names; strict throws one line', async () => {
    const exported = await exportDetectron2StateDict(a);
    exported.delete('roi_heads.box_head.1.fc2.bias');
    exported.set('roi_heads.box_head.1.fc3.bias', { dtype: 'F32', shape: [16], data: new Float32Array(16) });
    const result = loadDetectron2StateDict(b, exported, { strict: false });
    expect(result.missing).toEqual(['roi_heads.box_head.1.fc2.bias']);
    expect(result.unexpected).toEqual(['roi_heads.box_head.1.fc3.bias']);
    expect(() => loadDetectron2StateDict(b, exported, { source: 'model_final.pkl' })).toThrow(/^model_final\.pkl: does not match cascade_rcnn over resnet18 \(strict load\): 1 missing \[roi_heads\.box_head\.1\.fc2\.bias\]; 1 unexpected \[roi_heads\.box_head\.1\.fc3\.bias\]$/);
  });
});

describe('cascade presets in the registry', () => {
  it('has cascade_rcnn_B_fpn and cascade_mask_rcnn_B_fpn for every backbone with the torchvision ones, reference detectron2', () => {
    const entries = listDetectors();
    const backbones = new Set(entries.filter((e) => e.name.startsWith('fasterrcnn_') && !e.name.endsWith('_v2')).map((e) => e.backbone));
    for (const b of backbones) {
      expect(getDetectorEntry(`cascade_rcnn_${b}_fpn`).reference).toBe('detectron2');
      expect(getDetectorEntry(`cascade_mask_rcnn_${b}_fpn`).reference).toBe('detectron2');
    }
    // Mask head: four 3x3 convs, the deconv and the 80-class predictor.
    const maskWeights = 4 * (256 * 256 * 9 + 256) + 256 * 256 * 4 + 256 + 256 * 80 + 80;
    expect(getDetectorEntry('cascade_mask_rcnn_resnest50d_fpn').params - getDetectorEntry('cascade_rcnn_resnest50d_fpn').params).toBe(maskWeights);
  });

  it('keeps createDetector for torchvision presets and names the right builder otherwise', () => {
    expect(() => createDetector('cascade_rcnn_resnet50_fpn')).toThrow(/^createDetector: "cascade_rcnn_resnet50_fpn" is a detectron2 preset; build it with createCascadeDetector/);
    expect(() => createCascadeDetector('maskrcnn_resnet50_fpn')).toThrow(/^cascadeDetectorConfig: "maskrcnn_resnet50_fpn" is a torchvision preset/);
    expect(() => createCascadeDetector('cascade_rcnn_resnet50_fpn', { roiHeads: { stageIoU: [0.5] } as never })).toThrow(/unknown config key "roiHeads.stageIoU"/);
  });
});
