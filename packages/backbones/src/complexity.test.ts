import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '@tfvision/nn';
import { countMacs, countParameters, createBackbone, getModelEntry } from './index.js';

const reference = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'timm-macs.json'), 'utf8')) as Record<string, { size: number; macs: number }>;

beforeAll(async () => {
  await initBackend({ backend: 'wasm', report: false });
});

describe('countMacs equals the reference count of timm models (fixtures/timm-macs.json)', () => {
  for (const [name, ref] of Object.entries(reference)) {
    it(`${name}: ${(ref.macs / 1e9).toFixed(3)} GMACs at ${ref.size}`, () => {
      const model = createBackbone(name);
      const { macs, linearMacs } = countMacs(model, ref.size, ref.size);
      expect(macs).toBe(ref.macs);
      expect(linearMacs).toBe(model.numFeatures * 1000);
      model.dispose();
    }, 60_000);
  }
});

describe('model metadata', () => {
  it('resnest50d: 27,483,240 parameters, ~5.4 GMACs, feature channels and strides', () => {
    const model = createBackbone('resnest50d');
    expect(countParameters(model)).toBe(27_483_240);
    expect(countParameters(model)).toBe(getModelEntry('resnest50d').params);
    const levels = model.featureInfoFor(['c2', 'c3', 'c4', 'c5']);
    expect(levels.map((f) => f.channels)).toEqual([256, 512, 1024, 2048]);
    expect(levels.map((f) => f.stride)).toEqual([4, 8, 16, 32]);
    model.dispose();
  });

  it('featureInfoFor gives the levels asked, in that order', () => {
    const model = createBackbone('efficientnet_b0', { numClasses: 0 });
    expect(model.featureInfoFor(['c5', 'c3'])).toEqual([
      { level: 'c5', name: 'blocks.6', channels: 320, stride: 32 },
      { level: 'c3', name: 'blocks.2', channels: 40, stride: 8 },
    ]);
    model.dispose();
  });
});
