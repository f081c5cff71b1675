/**
 * Whole detectors against torchvision 0.14 (fixtures/rcnn, made by tools/reference/rcnn.py and
 * rcnn_timm.py), two of the six presets with a reference: maskrcnn_resnest50d_fpn (torchvision's
 * MaskRCNN over timm's resnest50d) and fasterrcnn_resnet50_fpn_v2 (BatchNorm in the FPN and the
 * heads). Hash weights, two images of different sizes, score threshold 0 so 100 detections
 * come out, compared stage by stage and then by issue #14's criteria
 * (__tests__/rcnn-equivalence-checks.ts); rcnn-equivalence.slow.test.ts runs all six.
 */
import { initBackend } from '@tfvision/nn';
import { describeRcnnEquivalence } from './__tests__/rcnn-equivalence-checks.js';

// wasm: ResNet-50 at ~190x190 takes seconds there, minutes on the JS cpu backend under jest.
beforeAll(async () => {
  await initBackend({ backend: process.env.TFVISION_EQUIV_BACKEND ?? 'wasm', report: false });
});

describeRcnnEquivalence('maskrcnn_resnest50d_fpn');
describeRcnnEquivalence('fasterrcnn_resnet50_fpn_v2');
