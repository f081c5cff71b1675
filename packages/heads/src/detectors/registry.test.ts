import { createBackbone, listModels } from '@tfvision/backbones';
import { initBackend } from '@tfvision/nn';
import { BACKBONE_FEATURES } from './backbone-features.js';
import { getDetectorEntry, listDetectors } from './registry.js';
import { readHeadsFixture } from '../testing/fixture-compare.js';

interface RcnnFixture {
  stateDictKeys: { name: string; shape: number[] }[];
}

/** All weights of torchvision's model: its state dict without BatchNorm running statistics. */
function torchvisionWeights(model: string): number {
  const { stateDictKeys } = readHeadsFixture<RcnnFixture>(`rcnn/${model}.json`);
  return stateDictKeys
    .filter((k) => !/\.(running_mean|running_var|num_batches_tracked)$/.test(k.name))
    .reduce((n, k) => n + k.shape.reduce((a, b) => a * b, 1), 0);
}

describe('detector registry', () => {
  it('has fasterrcnn_B_fpn and maskrcnn_B_fpn for every backbone, plus the v2 presets', () => {
    const names = new Set(listDetectors().map((d) => d.name));
    for (const { name } of listModels()) {
      expect(names).toContain(`fasterrcnn_${name}_fpn`);
      expect(names).toContain(`maskrcnn_${name}_fpn`);
    }
    expect(names).toContain('fasterrcnn_resnet50_fpn_v2');
    expect(names).toContain('maskrcnn_resnet50_fpn_v2');
    expect(listDetectors().every((d) => d.family === 'detector')).toBe(true);
  });

  it.each(['fasterrcnn_resnet50_fpn', 'maskrcnn_resnet50_fpn', 'fasterrcnn_resnet50_fpn_v2', 'maskrcnn_resnet50_fpn_v2'])('%s counts the weights of torchvision\'s model', (name) => {
    expect(getDetectorEntry(name).params).toBe(torchvisionWeights(name));
  });

  it.each(['resnet18', 'efficientnet_b0', 'resnest14d'])('the backbone table is what %s builds featuresOnly (regenerate: node packages/heads/tools/backbone-features.mjs)', async (name) => {
    await initBackend({ backend: 'cpu', report: false });
    const m = createBackbone(name, { featuresOnly: true });
    expect(BACKBONE_FEATURES[name]).toEqual({ params: m.numParameters(), channels: Object.fromEntries(m.featureInfo.map((f) => [f.level, f.channels])) });
    expect(Object.keys(BACKBONE_FEATURES).sort()).toEqual(listModels().map((e) => e.name).sort());
    m.dispose();
  });

  it('names close matches for an unknown detector', () => {
    expect(() => getDetectorEntry('fasterrcnn_resnest50_fpn')).toThrow(/unknown detector "fasterrcnn_resnest50_fpn"/);
  });
});
