/**
 * All six R-CNN presets with a torchvision reference against fixtures/rcnn (tools/reference/
 * rcnn.py, rcnn_timm.py): the four torchvision models and torchvision's Faster/Mask R-CNN over
 * timm's resnest50d and efficientnet_b0 bodies, with issue #14's criteria
 * (__tests__/rcnn-equivalence-checks.ts). About 2 minutes on wasm; the default suite runs two.
 */
import { initBackend } from '@tfvision/nn';
import { describeRcnnEquivalence, type EquivalenceFigures } from './__tests__/rcnn-equivalence-checks.js';

const PRESETS = ['fasterrcnn_resnet50_fpn', 'maskrcnn_resnet50_fpn', 'fasterrcnn_resnet50_fpn_v2', 'maskrcnn_resnet50_fpn_v2', 'maskrcnn_resnest50d_fpn', 'fasterrcnn_efficientnet_b0_fpn'];
const figures: Record<string, EquivalenceFigures> = {};

beforeAll(async () => {
  await initBackend({ backend: process.env.TFVISION_EQUIV_BACKEND ?? 'wasm', report: false });
});
afterAll(() => {
  console.log(`rcnn equivalence figures: ${JSON.stringify(figures)}`);
});

for (const name of PRESETS) describeRcnnEquivalence(name, (n, f) => (figures[n] = f));
