import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, readSafetensors, type HostTensor, type TensorMap } from '@tfvision/nn';
import { createBackbone } from './index.js';
import { detectCheckpointFormat, exportCheckpoint, loadCheckpoint, prefixedStateDict } from './checkpoint.js';
import { formulaInput, formulaTensor } from './testing/formula-weights.js';

interface TorchvisionFixture {
  model: string;
  checkpointFormat: string;
  input: { batch: number; channels: number; height: number; width: number };
  maxAbsLogit: number;
  logits: number[][];
  stateDict: [string, number[]][];
}

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'equivalence');
const torchvisionFixtures = fs
  .readdirSync(FIXTURES)
  .filter((f) => f.startsWith('torchvision-'))
  .map((f) => JSON.parse(fs.readFileSync(path.join(FIXTURES, f), 'utf8')) as TorchvisionFixture);

/** A checkpoint as the reference would save it: formula values under the reference's own names. */
function formulaCheckpoint(keys: [string, number[]][], prefix = ''): TensorMap {
  return new Map(keys.map(([k, shape]) => [prefix + k, formulaTensor(k, shape)]));
}

async function timmCheckpointOf(name: string): Promise<TensorMap> {
  const model = createBackbone(name);
  const keys: [string, number[]][] = [...model.stateDict()].map(([k, v]) => [k, torchLikeShape(v.shape)]);
  model.dispose();
  return formulaCheckpoint(keys);
}

function torchLikeShape(ours: number[]): number[] {
  if (ours.length === 4) return [ours[3], ours[2], ours[0], ours[1]];
  if (ours.length === 2) return [ours[1], ours[0]];
  return ours;
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm', report: false });
});

describe('loading torchvision checkpoints', () => {
  it('has fixtures for ResNet, ResNeXt and EfficientNet', () => {
    expect(torchvisionFixtures.map((f) => f.model).sort()).toEqual(['efficientnet_b0', 'resnet50', 'resnext50_32x4d']);
  });

  for (const fx of torchvisionFixtures) {
    it(`${fx.model}: torchvision names load and give torchvision's logits`, async () => {
      const ckpt = formulaCheckpoint(fx.stateDict);
      expect(detectCheckpointFormat([...ckpt.keys()])).toBe(fx.model.startsWith('efficientnet') ? 'torchvision' : 'timm');
      const model = createBackbone(fx.model);
      const result = loadCheckpoint(model, fx.model, ckpt, { from: 'torchvision' });
      expect(result.missing).toEqual([]);
      expect(result.unexpected).toEqual([]);
      model.eval();
      const x = formulaInput(fx.input.batch, fx.input.channels, fx.input.height, fx.input.width);
      const y = model.forward(x);
      const got = (await y.array()) as number[][];
      tf.dispose([x, y]);
      model.dispose();
      let maxDiff = 0;
      got.forEach((row, n) => row.forEach((v, k) => (maxDiff = Math.max(maxDiff, Math.abs(v - fx.logits[n][k])))));
      expect(maxDiff / fx.maxAbsLogit).toBeLessThan(1e-5);
    }, 60_000);
  }

  it('refuses torchvision weights for a TF-padded EfficientNet, naming the model to use', () => {
    const fx = torchvisionFixtures.find((f) => f.model === 'efficientnet_b0')!;
    const model = createBackbone('tf_efficientnet_b0');
    expect(() => loadCheckpoint(model, 'tf_efficientnet_b0', formulaCheckpoint(fx.stateDict))).toThrow(/load them into efficientnet_b0 rather than tf_efficientnet_b0/);
    model.dispose();
  });
});

describe('timm checkpoints and fine-tuning adaptations', () => {
  let ckpt: TensorMap;
  beforeAll(async () => {
    ckpt = await timmCheckpointOf('resnet18');
  });

  it('strips a DDP "module." prefix', () => {
    const wrapped: TensorMap = new Map([...ckpt].map(([k, t]) => [`module.${k}`, t]));
    const model = createBackbone('resnet18');
    const r = loadCheckpoint(model, 'resnet18', wrapped);
    expect(r.notes).toContain('stripped the "module." prefix from every key');
    expect(r.loaded.length).toBe(model.stateDict().size);
    model.dispose();
  });

  it('drops a classifier of another size and keeps ours (new classes)', async () => {
    const model = createBackbone('resnet18', { numClasses: 10 });
    const before = await model.stateDict().get('fc.weight')!.data();
    const r = loadCheckpoint(model, 'resnet18', ckpt);
    expect(r.dropped).toEqual(['fc.weight', 'fc.bias']);
    expect(r.defaulted).toEqual(expect.arrayContaining(['fc.weight', 'fc.bias']));
    expect(await model.stateDict().get('fc.weight')!.data()).toEqual(before);
    const conv = await model.stateDict().get('conv1.weight')!.data();
    expect(conv[0]).toBeCloseTo(formulaTensor('conv1.weight', [64, 3, 7, 7]).data[0] as number, 6);
    model.dispose();
  });

  it("classifier 'keep' refuses a classifier of another size", () => {
    const model = createBackbone('resnet18', { numClasses: 10 });
    expect(() => loadCheckpoint(model, 'resnet18', ckpt, { classifier: 'keep' })).toThrow(/fc\.weight/);
    model.dispose();
  });

  it('adapts the first conv to 1 input channel by summing RGB (timm adapt_input_conv)', async () => {
    const model = createBackbone('resnet18', { inChans: 1 });
    const r = loadCheckpoint(model, 'resnet18', ckpt);
    expect(r.notes.some((n) => n.startsWith('conv1.weight: adapted 3 input channels to 1'))).toBe(true);
    const rgb = ckpt.get('conv1.weight')!.data as Float32Array; // [64, 3, 7, 7]
    const ours = await model.stateDict().get('conv1.weight')!.data(); // HWIO [7, 7, 1, 64]
    // Output channel 5, tap (2, 3): sum over the three input channels.
    const o = 5;
    const k = 2 * 7 + 3;
    const expected = rgb[(o * 3 + 0) * 49 + k] + rgb[(o * 3 + 1) * 49 + k] + rgb[(o * 3 + 2) * 49 + k];
    expect(ours[k * 64 + o]).toBeCloseTo(expected, 6);
    model.dispose();
  });

  it('names every missing and unexpected key in a strict load, assigning nothing', async () => {
    const broken: TensorMap = new Map(ckpt);
    broken.delete('layer2.0.bn1.running_var');
    broken.set('layer9.0.conv1.weight', { dtype: 'F32', shape: [1], data: new Float32Array(1) } as HostTensor);
    const model = createBackbone('resnet18');
    const before = await model.stateDict().get('conv1.weight')!.data();
    expect(() => loadCheckpoint(model, 'resnet18', broken, { source: 'r18.safetensors' })).toThrow(/r18\.safetensors \(timm names\).*1 missing \[layer2\.0\.bn1\.running_var\]; 1 unexpected \[layer9\.0\.conv1\.weight\]/);
    expect(await model.stateDict().get('conv1.weight')!.data()).toEqual(before);
    model.dispose();
  });

  it('exports timm-named safetensors that load back to the same values', async () => {
    const model = createBackbone('resnet18');
    loadCheckpoint(model, 'resnet18', ckpt);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tfv-ckpt-')), 'r18.safetensors');
    await exportCheckpoint(model, file);
    const back = readSafetensors(file).tensors;
    expect([...back.keys()].sort()).toEqual([...ckpt.keys()].sort());
    expect(back.get('layer1.0.conv1.weight')!.shape).toEqual([64, 64, 3, 3]);
    expect(Array.from(back.get('fc.weight')!.data as Float32Array).slice(0, 5)).toEqual(Array.from((ckpt.get('fc.weight')!.data as Float32Array).slice(0, 5)));
    const again = createBackbone('resnet18');
    const r = loadCheckpoint(again, 'resnet18', file);
    expect(r.loaded.length).toBe(again.stateDict().size);
    model.dispose();
    again.dispose();
  });
});

describe('a backbone inside a detector or segmenter checkpoint (prefix)', () => {
  let body: TensorMap;
  beforeAll(async () => {
    // torchvision's IntermediateLayerGetter keeps no classifier: the body is resnet18 less fc.
    body = new Map([...(await timmCheckpointOf('resnet18'))].filter(([k]) => !k.startsWith('fc.')));
  });

  /** A detector's file: the body under `prefix`, plus neck and head keys that are not the backbone's. */
  function detectorFile(prefix: string): TensorMap {
    const out: TensorMap = new Map([...body].map(([k, t]) => [prefix + k, t]));
    const other = { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } as HostTensor;
    for (const k of ['backbone.fpn.inner_blocks.0.weight', 'rpn.head.conv.0.0.weight', 'roi_heads.box_predictor.cls_score.weight']) out.set(k, other);
    return out;
  }

  for (const prefix of ['backbone.body.', 'backbone.bottom_up.', 'encoder.', 'encoder.model.']) {
    it(`reads only the keys under "${prefix}"`, async () => {
      const model = createBackbone('resnet18', { numClasses: 0 });
      const r = loadCheckpoint(model, 'resnet18', detectorFile(prefix), { prefix });
      expect(r.loaded.length).toBe(body.size);
      expect(r.loaded.every((k) => k.startsWith(prefix))).toBe(true);
      expect(r.unexpected).toEqual([]);
      expect(r.notes).toContain(`read the ${body.size} keys under "${prefix}"; ignored the other 3`);
      const got = await model.stateDict().get('layer3.1.bn2.running_var')!.data();
      expect(got[7]).toBeCloseTo(body.get('layer3.1.bn2.running_var')!.data[7] as number, 6);
      model.dispose();
    });
  }

  it('names missing and unexpected keys by their full names', () => {
    const file = detectorFile('backbone.body.');
    file.delete('backbone.body.layer2.0.bn1.running_var');
    file.set('backbone.body.layer9.0.conv1.weight', { dtype: 'F32', shape: [1], data: new Float32Array(1) } as HostTensor);
    const model = createBackbone('resnet18', { numClasses: 0 });
    expect(() => loadCheckpoint(model, 'resnet18', file, { prefix: 'backbone.body.', source: 'frcnn.safetensors' })).toThrow(
      'frcnn.safetensors (timm names under "backbone.body."): state dict does not match ResNet (strict load, nothing assigned): 1 missing [backbone.body.layer2.0.bn1.running_var]; 1 unexpected [backbone.body.layer9.0.conv1.weight]',
    );
    const loose = loadCheckpoint(model, 'resnet18', file, { prefix: 'backbone.body.', strict: false });
    expect(loose.missing).toEqual(['backbone.body.layer2.0.bn1.running_var']);
    expect(loose.unexpected).toEqual(['backbone.body.layer9.0.conv1.weight']);
    model.dispose();
  });

  it('a classifier under the prefix is dropped by its full name; a prefix with no keys is an error', () => {
    const model = createBackbone('resnet18', { numClasses: 0 });
    const withFc: TensorMap = new Map([...ckptWithFc()].map(([k, t]) => [`encoder.model.${k}`, t]));
    const r = loadCheckpoint(model, 'resnet18', withFc, { prefix: 'encoder.model.' });
    expect(r.dropped).toEqual(['encoder.model.fc.weight', 'encoder.model.fc.bias']);
    expect(() => loadCheckpoint(model, 'resnet18', withFc, { prefix: 'backbone.body.' })).toThrow('loadCheckpoint: no key of checkpoint starts with prefix "backbone.body." (its keys start with "encoder.")');
    expect(() => loadCheckpoint(model, 'resnet18', withFc, { prefix: '' })).toThrow('loadCheckpoint: prefix must be a non-empty string, got ""');
    model.dispose();
  });

  function ckptWithFc(): TensorMap {
    const fc = { dtype: 'F32', shape: [1000, 512], data: new Float32Array(512_000) } as HostTensor;
    return new Map([...body, ['fc.weight', fc], ['fc.bias', { dtype: 'F32', shape: [1000], data: new Float32Array(1000) } as HostTensor]]);
  }

  it('prefixedStateDict and exportCheckpoint write the backbone under a prefix that loads back', async () => {
    const model = createBackbone('resnet18', { numClasses: 0 });
    loadCheckpoint(model, 'resnet18', body);
    const map = await prefixedStateDict(model, 'backbone.body.');
    expect([...map.keys()].sort()).toEqual([...body.keys()].map((k) => `backbone.body.${k}`).sort());
    expect(map.get('backbone.body.layer1.0.conv1.weight')!.shape).toEqual([64, 64, 3, 3]);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tfv-prefix-')), 'body.safetensors');
    await exportCheckpoint(model, file, {}, { prefix: 'encoder.' });
    expect([...readSafetensors(file).tensors.keys()].every((k) => k.startsWith('encoder.'))).toBe(true);
    const again = createBackbone('resnet18', { numClasses: 0 });
    const r = loadCheckpoint(again, 'resnet18', file, { prefix: 'encoder.' });
    expect(r.loaded.length).toBe(again.stateDict().size);
    const a = await model.stateDict().get('layer4.1.conv2.weight')!.data();
    const b = await again.stateDict().get('layer4.1.conv2.weight')!.data();
    expect(Array.from(b)).toEqual(Array.from(a));
    model.dispose();
    again.dispose();
  });
});
