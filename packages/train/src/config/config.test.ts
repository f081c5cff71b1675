import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { configHash, deepMerge, definingHash, loadTrainConfig } from './load.js';

const CONFIGS = resolve(__dirname, '../../../cli/configs');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tfv-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, v: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, typeof v === 'string' ? v : JSON.stringify(v));
  return p;
};

describe('committed configs', () => {
  const files = ['imagenet', 'fashion-mnist'].flatMap((d) => readdirSync(join(CONFIGS, d)).map((f) => join(CONFIGS, d, f)));
  it.each(files)('%s loads and validates', (f) => {
    const c = loadTrainConfig(f);
    expect(c.model.name.length).toBeGreaterThan(0);
  });
  it('the ImageNet family configs carry the ResNeSt recipe', () => {
    const c = loadTrainConfig(join(CONFIGS, 'imagenet', 'resnest50d.json'));
    expect(c.schedule).toEqual({ epochs: 270, warmupEpochs: 5, kind: 'cosine' });
    expect(c.optim).toMatchObject({ lr: 0.1, momentum: 0.9, weightDecay: 1e-4 });
    expect(c.augment).toMatchObject({ labelSmoothing: 0.1, mixupAlpha: 0.2, autoAugment: 'imagenet' });
    expect(c.regularisation).toEqual({ dropBlock: 0.1, dropRate: 0, zeroInitLastBn: true });
    expect(loadTrainConfig(join(CONFIGS, 'imagenet', 'resnest200e.json')).regularisation.dropRate).toBe(0.2);
    expect(loadTrainConfig(join(CONFIGS, 'imagenet', 'resnest269e.json')).data.inputSize).toBe(416);
  });
});

describe('loadTrainConfig', () => {
  const base = JSON.parse(readFileSync(join(CONFIGS, 'fashion-mnist', 'base.json'), 'utf8'));
  it('merges "extends" deeply, relative to the extending file, child wins', () => {
    write('base.json', base);
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    writeFileSync(join(sub, 'child.json'), JSON.stringify({ extends: '../base.json', optim: { lr: 0.5 }, model: { name: 'resnet18', options: {} } }));
    const c = loadTrainConfig(join(sub, 'child.json'));
    expect(c.optim).toEqual({ ...base.optim, lr: 0.5 });
    expect(c.model.name).toBe('resnet18');
    expect(c.data).toEqual(base.data);
  });
  it('applies overrides last', () => {
    const p = write('c.json', base);
    expect(loadTrainConfig(p, { data: { root: '/x' }, schedule: { epochs: 9 } }).data.root).toBe('/x');
  });
  it('rejects unknown keys naming file and field', () => {
    const p = write('c.json', deepMerge(base, { optim: { learningRate: 1 } }));
    expect(() => loadTrainConfig(p)).toThrow(`${p}: optim: unknown key "learningRate" (known: lr, momentum, nesterov, weightDecay, batchSize, accumulate)`);
  });
  it('names bad values and missing fields', () => {
    const bad = write('bad.json', deepMerge(base, { optim: { batchSize: 0 } }));
    expect(() => loadTrainConfig(bad)).toThrow(`${bad}: optim.batchSize: must be > 0, got 0`);
    const { seed: _s, ...noSeed } = base;
    const missing = write('missing.json', noSeed);
    expect(() => loadTrainConfig(missing)).toThrow(`${missing}: seed: required field is missing`);
    const kind = write('kind.json', deepMerge(base, { data: { kind: 'cifar' } }));
    expect(() => loadTrainConfig(kind)).toThrow(`${kind}: data.kind: expected one of "imagenet-folder", "fashion-mnist", got "cifar"`);
    const opt = write('opt.json', deepMerge(base, { model: { options: { numClass: 3 } } }));
    expect(() => loadTrainConfig(opt)).toThrow(`${opt}: model.options.numClass: unknown backbone option`);
    const both = write('both.json', deepMerge(base, { eval: { everySteps: 5 } }));
    expect(() => loadTrainConfig(both)).toThrow(`${both}: eval: give exactly one of everySteps or everyEpochs`);
  });
  it('checks model.args against the ResNet argument schema: a typo names the closest key, a wrong type the field', () => {
    const args = (a: Record<string, unknown>) => write('args.json', deepMerge(base, { model: { name: 'resnet18', options: {}, args: a } as never }));
    const typo = args({ chanels: [8, 8, 16, 16] });
    expect(() => loadTrainConfig(typo)).toThrow(`${typo}: model.args: unknown key "chanels" (did you mean "channels"? known: block, layers, cardinality,`);
    const str = args({ stemWidth: '16' });
    expect(() => loadTrainConfig(str)).toThrow(`${str}: model.args.stemWidth: expected a number, got "16"`);
    const short = args({ channels: [8, 8, 16] });
    expect(() => loadTrainConfig(short)).toThrow(`${short}: model.args.channels: expected 4 numbers, got 3`);
    const stride = args({ stemStride: 3 });
    expect(() => loadTrainConfig(stride)).toThrow(`${stride}: model.args.stemStride: expected one of 1, 2, got 3`);
    const block = args({ block: 'bottle' });
    expect(() => loadTrainConfig(block)).toThrow(`${block}: model.args.block: expected one of "basic", "bottleneck", "resnest", "skBasic", "skBottleneck", got "bottle"`);
    const nested = args({ resnest: { radix: 2, avd: true, avdfirst: false } });
    expect(() => loadTrainConfig(nested)).toThrow(`${nested}: model.args.resnest: unknown key "avdfirst" (did you mean "avdFirst"?`);
    const ok = args({ layers: [1, 1, 1, 1], channels: [8, 8, 16, 16], stemWidth: 16, stemStride: 1, stemPool: false });
    expect(loadTrainConfig(ok).model.args).toEqual({ layers: [1, 1, 1, 1], channels: [8, 8, 16, 16], stemWidth: 16, stemStride: 1, stemPool: false });
  });
  it('rejects an unknown model and args on a family that takes none, naming model.name / model.args', () => {
    const unknown = write('unknown.json', deepMerge(base, { model: { name: 'resnet999' } }));
    expect(() => loadTrainConfig(unknown)).toThrow(`${unknown}: model.name: unknown model "resnet999"`);
    const eff = write('eff.json', deepMerge(base, { model: { name: 'efficientnet_b0', options: {}, args: { stemWidth: 16 } } as never }));
    expect(() => loadTrainConfig(eff)).toThrow(`${eff}: model.args: only ResNet-family variants take args overrides; "efficientnet_b0" is of family efficientnet`);
  });
  it('reports missing files, bad JSON and extends cycles', () => {
    expect(() => loadTrainConfig(join(dir, 'nope.json'))).toThrow(`${join(dir, 'nope.json')}: cannot read config (file not found)`);
    const broken = write('broken.json', '{"seed": ');
    expect(() => loadTrainConfig(broken)).toThrow(`${broken}: invalid JSON`);
    write('a.json', { extends: './b.json' });
    write('b.json', { extends: './a.json' });
    expect(() => loadTrainConfig(join(dir, 'a.json'))).toThrow('"extends" cycle');
  });
  it('hashes what defines the run, not where data lives or how often it logs', () => {
    const p = write('c.json', base);
    const c = loadTrainConfig(p);
    expect(configHash(loadTrainConfig(p, { data: { root: '/elsewhere', workers: 3 }, log: { everySteps: 1 } }))).toBe(configHash(c));
    expect(configHash(loadTrainConfig(p, { optim: { lr: 0.3 } }))).not.toBe(configHash(c));
  });
});

describe('definingHash (what checkpoints store for --resume)', () => {
  it('is the first 16 hex digits of SHA-256 of the key-sorted JSON, whatever the key order', () => {
    // sha256('{"a":[{"c":3,"d":2}],"b":1}'), computed with node's crypto apart from the code.
    expect(definingHash({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('aa0fff90b247460f');
    expect(definingHash({ a: [{ c: 3, d: 2 }], b: 1 })).toBe('aa0fff90b247460f');
    expect(definingHash({ a: [{ c: 2, d: 3 }], b: 1 })).not.toBe('aa0fff90b247460f');
  });
});
