/**
 * `tfvision train seg` end to end on a config extending the bundled synthetic one, shrunk to
 * seconds (48 px shapes, a ResNet-18 DeepLabV3 with 16 head channels, 3 steps): config errors
 * name the file and JSON path, the run writes its log, per-class metrics and drawn predictions,
 * refuses to overwrite a run, and resumes.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { UsageError } from '../command.js';
import { BUNDLED_CONFIG_DIR } from '../configs.js';
import { runTrainSeg } from './train-seg.js';

const dir = mkdtempSync(join(tmpdir(), 'tfvision-train-seg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tinyConfig(name: string, over: Record<string, unknown> = {}): string {
  const path = join(dir, `${name}.json`);
  const config = {
    extends: join(BUNDLED_CONFIG_DIR, 'deeplabv3_resnest14d_synth.json'),
    model: { backbone: { name: 'resnet18' }, head: { channels: 16 } },
    data: { root: join(dir, 'data'), scale: [32, 40], cropSize: 32, synth: { size: 48, train: { images: 6, seed: 1 }, val: { images: 2, seed: 2 } } },
    schedule: { iterations: 3 },
    eval: { everySteps: false, draw: 1 },
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

describe('bundled segmentation configs', () => {
  it.each([
    ['deeplabv3_resnest14d_synth', 'deeplabv3_resnest14d'],
    ['deeplabv3_resnet50_coco', 'deeplabv3_resnet50'],
    ['deeplabv3_resnest50d_coco', 'deeplabv3_resnest50d'],
  ])('%s loads and builds preset %s', async (name, preset) => {
    const { loadSegmentationConfig, segmentationPresetName, segmentationModelConfig, VOC_COCO_CATEGORY_IDS } = await import('@tfvision/train');
    const c = loadSegmentationConfig(join(BUNDLED_CONFIG_DIR, `${name}.json`));
    expect(segmentationPresetName(c)).toBe(preset);
    expect(segmentationModelConfig(c, 21).numClasses).toBe(21);
    if (name.endsWith('_coco')) {
      // torchvision's recipe: the 20 VOC categories in VOC order, 30 epochs at batch 32, lr 0.02, crop 480 of 260..1040, eval at 520.
      expect(c.data.categories).toEqual([...VOC_COCO_CATEGORY_IDS]);
      expect([c.schedule.epochs, c.optimizer.batchSize, c.optimizer.lr, c.data.cropSize, c.data.scale, c.data.evalSize, c.data.minAnnotatedArea]).toEqual([30, 32, 0.02, 480, [260, 1040], 520, 1000]);
    }
  });
});

describe('tfvision train seg', () => {
  it('stops on a bad config with one line naming the JSON path', async () => {
    const bad = async (over: Record<string, unknown>) => runTrainSeg(['--config', tinyConfig('bad', over), '--out', join(dir, 'never')]);
    await expect(bad({ optimizer: { lrr: 0.1 } })).rejects.toThrow(/bad\.json: optimizer: unknown key "lrr" \(did you mean "lr"\?/);
    await expect(bad({ data: { cropSize: 'big' } })).rejects.toThrow(/bad\.json: data\.cropSize: expected a number, got "big"/);
    await expect(bad({ model: { backbone: { name: 'resnest15x' } } })).rejects.toThrow(/bad\.json: model\.backbone\.name: unknown model "resnest15x"/);
    await expect(bad({ model: { head: { chanels: 8 } } })).rejects.toThrow(/bad\.json: model\.head: createSegmenter\("deeplabv3_resnest14d"\): unknown option "chanels"/);
    await expect(runTrainSeg(['--config', tinyConfig('ok'), '--steps', '0'])).rejects.toThrow(new UsageError('--steps must be a positive integer, got 0'));
    // A dataset path that does not exist (no data.synth to generate it), and backbone weights that do not.
    const base = JSON.parse(readFileSync(join(BUNDLED_CONFIG_DIR, 'deeplabv3_resnest14d_synth.json'), 'utf8'));
    const noSynth = join(dir, 'nosynth.json');
    const { synth: _synth, ...dataWithoutSynth } = base.data;
    writeFileSync(noSynth, JSON.stringify({ ...base, data: { ...dataWithoutSynth, root: join(dir, 'nowhere') } }));
    const missing = join(dir, 'nowhere', base.data.train.annotations);
    await expect(runTrainSeg(['--config', noSynth, '--out', join(dir, 'never')])).rejects.toThrow(new UsageError(`${noSynth}: data.train.annotations: ${missing} does not exist (data.root ${join(dir, 'nowhere')}; pass --data DIR)`));
    await expect(bad({ model: { backbone: { name: 'resnet18', weights: join(dir, 'none.safetensors') } } })).rejects.toThrow(new UsageError(`${join(dir, 'bad.json')}: model.backbone.weights: ${join(dir, 'none.safetensors')} does not exist`));
    await expect(runTrainSeg(['--config', 'no_such_config'])).rejects.toThrow(/--config no_such_config: no such file and no bundled config of that name \(bundled: .*deeplabv3_resnest14d_synth/);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('trains end to end, draws predictions, refuses to overwrite, and resumes', async () => {
    const config = tinyConfig('tiny');
    const out = join(dir, 'run');
    expect(await quiet(() => runTrainSeg(['--config', config, '--out', out, '--backend', 'wasm']))).toBe(0);
    const log = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log.filter((r) => r.type === 'train').map((r) => r.step)).toEqual([1, 2, 3]);
    expect(log.filter((r) => r.type === 'eval').map((r) => r.step)).toEqual([3]);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.perClass).toHaveLength(6);
    expect(metrics.mIoU).toBeGreaterThanOrEqual(0);
    const drawn = readdirSync(join(out, 'predictions', 'step-00000003')).sort();
    expect(drawn).toEqual(['000001.label.png', '000001.png']);
    const meta = await sharp(join(out, 'predictions', 'step-00000003', '000001.png')).metadata();
    expect([meta.width, meta.channels]).toEqual([48, 3]);
    expect(existsSync(join(out, 'curves.png'))).toBe(true);

    await expect(runTrainSeg(['--config', config, '--out', out])).rejects.toThrow(/already holds a run/);
    // Resuming the finished 3-step run with 4 steps is a different schedule: refused.
    await expect(quiet(() => runTrainSeg(['--config', config, '--out', out, '--resume', '--steps', '4', '--backend', 'wasm']))).rejects.toThrow(/--resume: .* is from a run of 3 steps, this one has 4/);
    expect(await quiet(() => runTrainSeg(['--config', config, '--out', out, '--resume', '--backend', 'wasm']))).toBe(0);
  }, 300000);
});
