/** Segmentation configs: inheritance, a one-line backbone swap, and errors that name the JSON path. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSegmentationConfig, segmentationConfigHash, segmentationModelConfig, segmentationPresetName, segmentationTotalSteps, type SegmentationTrainConfig } from './segmentation-config.js';

const BASE = {
  model: { type: 'deeplabv3', backbone: { name: 'resnest14d' }, head: { dropout: 0.5 } },
  data: {
    root: 'data', train: { annotations: 'train/annotations.json', images: 'train/images' }, val: { annotations: 'val/annotations.json', images: 'val/images' },
    minAnnotatedArea: 0, scale: [48, 96], cropSize: 64, flipProb: 0.5, evalSize: false, prefetch: 2, cache: true,
  },
  optimizer: { lr: 0.02, batchSize: 4, momentum: 0.9, weightDecay: 1e-4, auxLrMultiplier: 10 },
  schedule: { iterations: 100, power: 0.9, warmupIters: 0, warmupFactor: 0.01 },
  loss: { auxWeight: 0.5 },
  eval: { everySteps: 50, draw: 2 },
  checkpoint: { everySteps: 50, keep: 2 },
  seed: 0,
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'seg-config-'));
  writeFileSync(join(dir, 'base.json'), JSON.stringify(BASE));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, body: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(body));
  return p;
}

describe('loadSegmentationConfig', () => {
  it('inherits a base and swaps the backbone with one line', () => {
    const base = loadSegmentationConfig(join(dir, 'base.json'));
    const swapped = loadSegmentationConfig(write('r18.json', { extends: './base.json', model: { backbone: { name: 'resnet18' } } }));
    expect(segmentationPresetName(base)).toBe('deeplabv3_resnest14d');
    expect(segmentationPresetName(swapped)).toBe('deeplabv3_resnet18');
    expect(swapped.optimizer).toEqual(base.optimizer);
    const model = segmentationModelConfig(swapped, 6);
    expect([model.type, model.backbone, model.numClasses, model.type === 'deeplabv3' && model.outputStride]).toEqual(['deeplabv3', 'resnet18', 6, 8]);
    expect(segmentationConfigHash(swapped)).not.toBe(segmentationConfigHash(base));
    // Where the data lives does not change the run.
    expect(segmentationConfigHash({ ...base, data: { ...base.data, root: '/elsewhere' } } as SegmentationTrainConfig)).toBe(segmentationConfigHash(base));
  });

  it.each([
    [{ data: { cropsize: 64 } }, 'data: unknown key "cropsize" (did you mean "cropSize"?'],
    [{ optimizer: { lr: 'fast' } }, 'optimizer.lr: expected a number, got "fast"'],
    [{ optimizer: { batchSize: 1 } }, 'optimizer.batchSize: must be >= 2, got 1'],
    [{ data: { scale: [96, 48] } }, 'data.scale: expected [min, max] with min <= max, got [96,48]'],
    [{ data: { evalSize: 'big' } }, 'data.evalSize: expected a number, got "big"'],
    [{ model: { type: 'fcn' } }, 'model.type: expected one of "deeplabv3", "deeplabv3plus", got "fcn"'],
    [{ model: { backbone: { name: 'resnest15d' } } }, 'model.backbone.name: unknown model "resnest15d"'],
    [{ model: { head: { atrousRate: [1, 2, 3] } } }, 'model.head: createSegmenter("deeplabv3_resnest14d"): unknown option "atrousRate"'],
    [{ model: { head: { numClasses: 3 } } }, 'model.head.numClasses: cannot be set here (it comes from the data)'],
    [{ model: { type: 'deeplabv3plus', head: { aux: true } } }, 'model.head: createSegmenter("deeplabv3plus_resnest14d"): unknown option "aux"'],
    [{ model: { type: 'deeplabv3plus', head: {} }, data: { cropSize: 60 } }, 'data.cropSize: 60 is not a multiple of 16'],
    [{ schedule: { warmupIters: 100 } }, 'schedule.warmupIters: 100 must be below schedule.iterations 100'],
    [{ schedule: { epochs: 30 } }, 'schedule: give exactly one of iterations and epochs, got both'],
  ])('%j fails naming the path', (over, message) => {
    const p = write('bad.json', { extends: './base.json', ...over });
    expect(() => loadSegmentationConfig(p)).toThrow(`${p}: ${message}`);
  });

  it('takes data.workers (an integer >= 0, default absent = in-process) and leaves it out of the hash', () => {
    const base = loadSegmentationConfig(join(dir, 'base.json'));
    const threaded = loadSegmentationConfig(write('workers.json', { extends: './base.json', data: { workers: 2 } }));
    expect([base.data.workers, threaded.data.workers]).toEqual([undefined, 2]);
    expect(segmentationConfigHash(threaded)).toBe(segmentationConfigHash(base));
    const p = write('workers-bad.json', { extends: './base.json', data: { workers: 1.5 } });
    expect(() => loadSegmentationConfig(p)).toThrow(`${p}: data.workers: `);
  });

  it('counts epochs in full batches of the training set', () => {
    const { iterations: _i, ...schedule } = BASE.schedule;
    const c = loadSegmentationConfig(write('epochs.json', { ...BASE, schedule: { ...schedule, epochs: 3 } }));
    expect(segmentationTotalSteps(c, 10)).toBe(3 * 2);
    expect(segmentationTotalSteps(loadSegmentationConfig(join(dir, 'base.json')), 10)).toBe(100);
  });

  it('reports a missing required field by its path', () => {
    const { loss: _l, ...noLoss } = BASE;
    const p = write('noloss.json', noLoss);
    expect(() => loadSegmentationConfig(p)).toThrow(`${p}: loss: required field is missing`);
  });
});
