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
    expect(model.featureChannels).toEqual([256, 512, 1024, 2048]);
    expect(model.featureStrides).toEqual([4, 8, 16, 32]);
    model.dispose();
  });

  it('featureChannels follow outIndices', () => {
    const model = createBackbone('efficientnet_b0', { outIndices: [2, 4], numClasses: 0 });
    expect(model.featureChannels).toEqual([40, 320]);
    expect(model.featureStrides).toEqual([8, 32]);
    model.dispose();
  });
});
