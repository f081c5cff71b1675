/**
 * Detection configs: the bundled COCO 1x recipes (detectron2's: batch 16, lr 0.02, 90k
 * iterations, steps 60k/80k, warmup 1000 from 0.001, decay 1e-4, short side 640-800 by range,
 * max 1333, test 800) load, validate and give their model configs; a ResNeSt config differs from
 * its ResNet-50 baseline in the backbone name only; each kind of config error is one line naming
 * the file and the JSON path.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CascadeRcnnConfig, RcnnConfig } from '@tfvision/heads';
import { configSource } from '../config/load.js';
import { ConfigError } from '../config/schema.js';
import { tinyCascadeConfig } from './detection-test-configs.js';
import { detectionConfigHash, detectionModelConfig, loadDetectionConfig, presetName, validateDetectionConfig, type DetectionTrainConfig } from './detection-config.js';

const CONFIGS = join(__dirname, '..', '..', '..', 'cli', 'configs');
const dir = mkdtempSync(join(tmpdir(), 'tfvision-det-config-'));
const range = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);

const COCO_1X = [
  ['faster_rcnn_resnet50_fpn_coco_1x', 'faster_rcnn', 'resnet50', 'fasterrcnn_resnet50_fpn'],
  ['faster_rcnn_resnest50d_fpn_coco_1x', 'faster_rcnn', 'resnest50d', 'fasterrcnn_resnest50d_fpn'],
  ['mask_rcnn_resnet50_fpn_coco_1x', 'mask_rcnn', 'resnet50', 'maskrcnn_resnet50_fpn'],
  ['mask_rcnn_resnest50d_fpn_coco_1x', 'mask_rcnn', 'resnest50d', 'maskrcnn_resnest50d_fpn'],
  ['cascade_rcnn_resnet50_fpn_coco_1x', 'cascade_rcnn', 'resnet50', 'cascade_rcnn_resnet50_fpn'],
  ['cascade_rcnn_resnest50d_fpn_coco_1x', 'cascade_rcnn', 'resnest50d', 'cascade_rcnn_resnest50d_fpn'],
  ['cascade_mask_rcnn_resnet50_fpn_coco_1x', 'cascade_mask_rcnn', 'resnet50', 'cascade_mask_rcnn_resnet50_fpn'],
  ['cascade_mask_rcnn_resnest50d_fpn_coco_1x', 'cascade_mask_rcnn', 'resnest50d', 'cascade_mask_rcnn_resnest50d_fpn'],
  ['faster_rcnn_resnest50d_fpn_bn-backbone+head_coco_1x', 'faster_rcnn', 'resnest50d', 'fasterrcnn_resnest50d_fpn'],
] as const;

const load = (name: string) => loadDetectionConfig(join(CONFIGS, `${name}.json`));

describe('bundled COCO 1x detection configs', () => {
  it.each(COCO_1X.map((row) => [row[0], row] as const))('%s: the detectron2 1x recipe and its model config', (_, [name, type, backbone, preset]) => {
    const c = load(name);
    expect(c.model.type).toBe(type);
    expect(c.model.backbone.name).toBe(backbone);
    expect(presetName(c)).toBe(preset);
    expect(configSource(c)).toBe(join(CONFIGS, `${name}.json`));
    expect(c.optimizer).toMatchObject({ lr: 0.02, batchSize: 16, momentum: 0.9, weightDecay: 1e-4, weightDecayNorm: 0 });
    expect(c.schedule).toEqual({ iterations: 90000, warmupIters: 1000, warmupFactor: 0.001, milestones: [60000, 80000], gamma: 0.1 });
    expect(c.data.train).toEqual({ annotations: 'annotations/instances_train2017.json', images: 'train2017' });
    expect(c.data.aspectRatioGrouping).toBe(true);
    // COCO's 80 categories.
    const m = detectionModelConfig(c, 80);
    expect(m.type).toBe(type);
    expect(m.backbone.name).toBe(backbone);
    if (type === 'cascade_rcnn' || type === 'cascade_mask_rcnn') {
      const k = m as CascadeRcnnConfig;
      expect(k.numClasses).toBe(80);
      expect(k.transform).toMatchObject({ minSizeTrain: range(640, 800), maxSizeTrain: 1333, minSizeTest: 800, maxSizeTest: 1333 });
      expect(k.roiHeads.stageIous).toEqual([0.5, 0.6, 0.7]);
      expect(k.roiHeads.mask !== undefined).toBe(type === 'cascade_mask_rcnn');
    } else {
      const r = m as RcnnConfig;
      expect(r.numClasses).toBe(81);
      // torchvision tests at the last size of the list: 800.
      expect(r.transform.minSize).toEqual(range(640, 800));
      expect(r.transform.maxSize).toBe(1333);
      expect(r.roiHeads.mask !== undefined).toBe(type === 'mask_rcnn');
    }
    expect(m.backbone.options).toEqual(name.includes('bn-backbone') ? { norm: 'bn', frozenStages: 1 } : { norm: 'frozen_bn', frozenStages: 1 });
  });

  it('a ResNeSt config is its ResNet-50 baseline with the backbone name swapped', () => {
    for (const [name, , backbone] of COCO_1X) {
      if (backbone !== 'resnest50d' || name.includes('bn-backbone')) continue;
      const ours = load(name);
      const baseline = load(name.replace('resnest50d', 'resnet50'));
      expect({ ...ours, model: { ...ours.model, backbone: { ...ours.model.backbone, name: 'resnet50' } } }).toEqual(baseline);
    }
  });

  it('the BN variant puts BatchNorm in the backbone and the 4conv+1fc box head (the ResNeSt paper detection heads)', () => {
    const m = detectionModelConfig(load('faster_rcnn_resnest50d_fpn_bn-backbone+head_coco_1x'), 80) as RcnnConfig;
    expect(m.roiHeads.boxHead).toBe('conv_fc');
    expect(m.backbone.options?.norm).toBe('bn');
  });
});

/** The bundled synthetic config with `over` deep-merged, written to a file `name`.json. */
function configFile(name: string, over: Record<string, unknown>): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ extends: join(CONFIGS, 'faster_rcnn_resnest14d_fpn_synth.json'), ...over }));
  return path;
}

function errorOf(path: string): string {
  try {
    loadDetectionConfig(path);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`${path} loaded without an error`);
}

describe('detection config errors', () => {
  it('an unknown key, with the near one', () => {
    const p = configFile('typo', { schedule: { iteratons: 3 } });
    expect(errorOf(p)).toBe(`${p}: schedule: unknown key "iteratons" (did you mean "iterations"? known: iterations, warmupIters, warmupFactor, milestones, gamma)`);
  });

  it('a wrong type', () => {
    const p = configFile('type', { optimizer: { batchSize: 'two' } });
    expect(errorOf(p)).toBe(`${p}: optimizer.batchSize: expected a number, got "two"`);
  });

  it('a model type that does not exist', () => {
    const p = configFile('mtype', { model: { type: 'retinanet' } });
    expect(errorOf(p)).toBe(`${p}: model.type: expected one of "faster_rcnn", "mask_rcnn", "cascade_rcnn", "cascade_mask_rcnn", got "retinanet"`);
  });

  it('a backbone that does not exist, with close names', () => {
    const p = configFile('backbone', { model: { backbone: { name: 'resnest50' } } });
    const msg = errorOf(p);
    expect(msg).toMatch(new RegExp(`^${p.replace(/[.+]/g, '\\$&')}: model\\.backbone\\.name: unknown model "resnest50" \\(did you mean [^)]*resnest50d`));
    expect(msg.split('\n')).toHaveLength(1);
  });

  it('an unknown key of the model preset (cascade keys differ from torchvision ones)', () => {
    const p = configFile('cascade-key', { model: { type: 'cascade_rcnn', rpn: { preNmsTopN: { training: 1, testing: 1 } } } });
    expect(errorOf(p)).toMatch(/cascade-key\.json: model: cascadeDetectorConfig\("cascade_rcnn_resnest14d_fpn"\): unknown config key "rpn\.preNmsTopN"/);
  });

  it('minSizeRange: malformed', () => {
    const bad = configFile('range-bad', { model: { transform: { minSizeRange: [800, 640] } } });
    expect(errorOf(bad)).toBe(`${bad}: model.transform.minSizeRange: expected [min, max] of positive integers with min <= max, got [800,640]`);
    const floats = configFile('range-float', { model: { transform: { minSizeRange: [64.5, 96] } } });
    expect(errorOf(floats)).toBe(`${floats}: model.transform.minSizeRange: expected [min, max] of positive integers with min <= max, got [64.5,96]`);
  });

  it('paramGroups: not a list, an unknown rule key, a bad multiplier', () => {
    const notList = configFile('pg-object', { optimizer: { paramGroups: { match: 'a' } } });
    expect(errorOf(notList)).toBe(`${notList}: optimizer.paramGroups: expected an array of { match, lrMult?, weightDecay? }, got object`);
    const key = configFile('pg-key', { optimizer: { paramGroups: [{ match: 'backbone.*', lr: 0.1 }] } });
    expect(errorOf(key)).toBe(`${key}: optimizer.paramGroups[0]: unknown key "lr" (known: match, lrMult, weightDecay)`);
    const mult = configFile('pg-mult', { optimizer: { paramGroups: [{ match: 'backbone.*' }, { match: 'rpn.*', lrMult: -1 }] } });
    expect(errorOf(mult)).toBe(`${mult}: optimizer.paramGroups[1].lrMult: must be a number >= 0, got -1`);
    const ok = configFile('pg-ok', { optimizer: { paramGroups: [{ match: 'backbone.body.*', lrMult: 0.1, weightDecay: 0 }] } });
    expect(loadDetectionConfig(ok).optimizer.paramGroups).toEqual([{ match: 'backbone.body.*', lrMult: 0.1, weightDecay: 0 }]);
  });

  it('a config built in code is named "config"', () => {
    expect(configSource({} as DetectionTrainConfig)).toBe('config');
    expect(() => validateDetectionConfig({ seed: 0 }, 'inline')).toThrow(/^inline: \(top level\): unknown key|^inline: model: required field is missing/);
  });
});

describe('detectionConfigHash', () => {
  it('ignores where the data and the backbone weights live, not the recipe', () => {
    const c = load('faster_rcnn_resnest50d_fpn_coco_1x');
    const h = detectionConfigHash(c);
    expect(detectionConfigHash({ ...c, model: { ...c.model, backbone: { ...c.model.backbone, weights: '/w/resnest50d.safetensors' } }, data: { ...c.data, root: '/elsewhere' } })).toBe(h);
    expect(detectionConfigHash({ ...c, optimizer: { ...c.optimizer, paramGroups: [{ match: 'backbone.body.*', lrMult: 0.1 }] } })).not.toBe(h);
    expect(detectionConfigHash(load('faster_rcnn_resnet50_fpn_coco_1x'))).not.toBe(h);
  });
});

describe('data.workers', () => {
  it('is optional (absent = in-process), an integer >= 0, and outside the hash (batches do not depend on it)', () => {
    const base = loadDetectionConfig(configFile('workers-none', {}));
    const threaded = loadDetectionConfig(configFile('workers-2', { data: { workers: 2 } }));
    expect([base.data.workers, threaded.data.workers]).toEqual([undefined, 2]);
    expect(detectionConfigHash(threaded)).toBe(detectionConfigHash(base));
    const bad = configFile('workers-bad', { data: { workers: -1 } });
    expect(errorOf(bad)).toMatch(/workers-bad\.json: data\.workers: /);
  });
});

describe('data.aspectRatioGrouping', () => {
  it('is optional (absent = off), a boolean, and inside the hash (it changes which images share a batch)', () => {
    const base = loadDetectionConfig(configFile('grouping-none', {}));
    const grouped = loadDetectionConfig(configFile('grouping-on', { data: { aspectRatioGrouping: true } }));
    expect([base.data.aspectRatioGrouping, grouped.data.aspectRatioGrouping]).toEqual([undefined, true]);
    expect(detectionConfigHash(grouped)).not.toBe(detectionConfigHash(base));
    expect(errorOf(configFile('grouping-bad', { data: { aspectRatioGrouping: 'yes' } }))).toMatch(/grouping-bad\.json: data\.aspectRatioGrouping: /);
  });
});

describe('minSizeRange', () => {
  it('is the choice list lo..hi under each family key (np.random.randint(lo, hi + 1) drawn as a choice), replacing an inherited list', () => {
    // The synthetic base config sets minSize [96]; the range replaces it.
    const tv = loadDetectionConfig(configFile('range-tv', { model: { transform: { minSizeRange: [64, 70], maxSize: 128 } } }));
    expect((detectionModelConfig(tv, 5) as RcnnConfig).transform.minSize).toEqual([64, 65, 66, 67, 68, 69, 70]);
    const cascade = tinyCascadeConfig(dir);
    const d2Path = join(dir, 'range-d2.json');
    writeFileSync(d2Path, JSON.stringify({ ...cascade, model: { ...(cascade.model as object), transform: { minSizeRange: [64, 66], maxSizeTrain: 128, minSizeTest: 96, maxSizeTest: 128 } } }));
    const d2 = loadDetectionConfig(d2Path);
    expect((detectionModelConfig(d2, 5) as CascadeRcnnConfig).transform).toMatchObject({ minSizeTrain: [64, 65, 66], minSizeTest: 96 });
  });
});
