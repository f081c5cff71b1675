import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../command.js';
import { BUNDLED_CONFIG_DIR } from '../configs.js';
import { runTrainDet } from './train-det.js';

const dir = mkdtempSync(join(tmpdir(), 'tfvision-train-det-'));

/** A config extending the bundled synthetic one, shrunk to seconds: 12 images of 64 px, 3 steps. */
function tinyConfig(name: string, over: Record<string, unknown> = {}): string {
  const path = join(dir, `${name}.json`);
  const config = {
    extends: join(BUNDLED_CONFIG_DIR, 'faster_rcnn_resnest14d_fpn_synth.json'),
    model: { neck: { outChannels: 16 }, rpn: { batchSizePerImage: 16, preNmsTopN: { training: 60, testing: 30 }, postNmsTopN: { training: 30, testing: 10 } }, roiHeads: { batchSizePerImage: 8, representationSize: 16 }, transform: { minSize: [64], maxSize: 64 } },
    data: { root: join(dir, 'data'), synth: { size: 64, train: { images: 6, seed: 1 }, val: { images: 3, seed: 2 } } },
    schedule: { iterations: 3, warmupIters: 1, milestones: [2] },
    eval: { everySteps: false },
    checkpoint: { everySteps: 2 },
    ...over,
  };
  writeFileSync(path, JSON.stringify(config));
  return path;
}

async function quiet<T>(body: () => Promise<T>): Promise<T> {
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return await body();
  } finally {
    process.stderr.write = write;
  }
}

describe('tfvision train det', () => {
  it('stops on a bad config with one line naming the JSON path', async () => {
    const bad = async (over: Record<string, unknown>) => runTrainDet(['--config', tinyConfig('bad', over), '--out', join(dir, 'never')]);
    await expect(bad({ optimizer: { lrr: 0.1 } })).rejects.toThrow(/bad\.json: optimizer: unknown key "lrr" \(did you mean "lr"\?/);
    await expect(bad({ seed: 'x' })).rejects.toThrow(/bad\.json: seed: expected a number, got "x"/);
    await expect(bad({ model: { type: 'faster_rcnn', backbone: { name: 'resnest15x' } } })).rejects.toThrow(/bad\.json: model\.backbone\.name: unknown model "resnest15x"/);
    await expect(bad({ model: { type: 'faster_rcnn', backbone: { name: 'resnet18' }, rpn: { bachSize: 1 } } })).rejects.toThrow(/bad\.json: model: .*unknown config key "rpn\.bachSize"/);
    // A dataset path that does not exist (and no data.synth to generate it).
    const base = JSON.parse(readFileSync(join(BUNDLED_CONFIG_DIR, 'faster_rcnn_resnest14d_fpn_synth.json'), 'utf8'));
    const noSynth = join(dir, 'nosynth.json');
    writeFileSync(noSynth, JSON.stringify({ ...base, data: { root: join(dir, 'nowhere'), train: { annotations: 'a.json', images: 'img' }, val: { annotations: 'a.json', images: 'img' }, flipProb: 0.5, prefetch: 1 } }));
    await expect(runTrainDet(['--config', noSynth, '--out', join(dir, 'never')])).rejects.toThrow(new UsageError(`${noSynth}: data.train.annotations: ${join(dir, 'nowhere', 'a.json')} does not exist (data.root ${join(dir, 'nowhere')}; pass --data DIR)`));
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('trains a tiny detector end to end, refuses to overwrite, and resumes from the last checkpoint', async () => {
    const config = tinyConfig('tiny');
    const out = join(dir, 'run');
    expect(await quiet(() => runTrainDet(['--config', config, '--out', out, '--backend', 'wasm']))).toBe(0);
    const log = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log.filter((r) => r.type === 'train').map((r) => r.step)).toEqual([1, 2, 3]);
    expect(log.filter((r) => r.type === 'eval')).toHaveLength(1);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.bbox.stats).toHaveLength(12);
    expect(Object.keys(metrics.bbox.perCategoryAP).sort()).toEqual(['1', '2', '3', '4', '5']);
    expect(existsSync(join(out, 'results.bbox.json'))).toBe(true);
    await expect(runTrainDet(['--config', config, '--out', out])).rejects.toThrow(/already holds a run/);
    await expect(runTrainDet(['--config', config, '--out', out, '--resume', '--steps', '5'])).rejects.toThrow(/--resume: .* is from a run of 3 steps, this one has 5/);
  });
});
