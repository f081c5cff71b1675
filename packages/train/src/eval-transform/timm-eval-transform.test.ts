import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { getModelEntry } from '@tfvision/backbones';
import { decodePilRgb } from './pil-decode.js';
import { evalTransformConfig, timmEvalCrop } from './timm-eval-transform.js';
import { EVAL_FIXTURE_DIR, readEvalFixture } from './fixture.js';

const fixture = readEvalFixture();
const folder = join(EVAL_FIXTURE_DIR, 'folder');
const files = new Map<string, string>();
for (const cls of readdirSync(folder)) for (const f of readdirSync(join(folder, cls))) files.set(f.replace(/\.JPEG$/, ''), join(folder, cls, f));

describe.each(Object.keys(fixture.models))('timm eval transform of %s (PIL decoding)', (model) => {
  const ref = fixture.models[model];
  const cfg = evalTransformConfig(getModelEntry(model).defaultCfg);

  it('the registry config is timm\'s resolved data config', () => {
    expect(ref.dataConfig.cropMode).toBe('center');
    expect([3, ...cfg.size]).toEqual(ref.dataConfig.inputSize);
    expect(cfg.cropPct).toBeCloseTo(ref.dataConfig.cropPct, 12);
    expect(cfg.interpolation).toBe(ref.dataConfig.interpolation);
    expect(cfg.mean).toEqual(ref.dataConfig.mean);
    expect(cfg.std).toEqual(ref.dataConfig.std);
  });

  it.each(Object.keys(ref.images))('%s: crop equals timm within one level on >= 99.9% of sampled values', async (name) => {
    const want = ref.images[name];
    const crop = timmEvalCrop(await decodePilRgb(files.get(name)!), cfg);
    expect([crop.height, crop.width, crop.channels]).toEqual(want.shape);
    let off = 0;
    let maxDiff = 0;
    want.samples.forEach((v, i) => {
      const d = Math.abs(crop.data[i * fixture.sampleStride] - v);
      if (d > 1) off++;
      maxDiff = Math.max(maxDiff, d);
    });
    expect(off / want.samples.length).toBeLessThanOrEqual(0.001);
    const pixels = crop.height * crop.width;
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      for (let p = 0; p < pixels; p++) sum += crop.data[p * 3 + c];
      // Within one level on average: |mean difference| <= 1/255 of a level per pixel would be exact; allow 0.05.
      expect(Math.abs(sum - want.channelSums[c]) / pixels).toBeLessThanOrEqual(0.05);
    }
    expect(maxDiff).toBeLessThanOrEqual(2);
  });
});

describe('decodePilRgb', () => {
  it('names the file when it cannot decode it', async () => {
    await expect(decodePilRgb(join(folder, readdirSync(folder).find((c) => readdirSync(join(folder, c)).includes('corrupt.JPEG'))!, 'corrupt.JPEG')))
      .rejects.toThrow(/corrupt\.JPEG: cannot decode image/);
  });
});
