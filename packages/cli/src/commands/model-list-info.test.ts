import * as fs from 'node:fs';
import * as path from 'node:path';
import { listModels } from '@tfvision/backbones';
import { listDetectors } from '@tfvision/heads';
import { UsageError } from '../command.js';
import { modelCommand } from './model.js';

/** Runs `tfvision model ...` through the command and returns what it printed on stdout. */
async function run(...argv: string[]): Promise<string> {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    expect(await modelCommand.run(argv)).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return chunks.join('');
}

/**
 * torchvision 0.14's weights metadata (`num_params` of each builder's COCO_V1 weights) counts
 * parameters(); FrozenBatchNorm2d (v1) holds its scale and shift as buffers, so the v1 counts
 * lack ResNet-50's 26,560 BatchNorm channels x 2 that "all weights" include.
 */
const FROZEN_BN_AFFINE = 2 * 26_560;
const TORCHVISION_NUM_PARAMS: Record<string, number> = {
  fasterrcnn_resnet50_fpn: 41_755_286 + FROZEN_BN_AFFINE,
  maskrcnn_resnet50_fpn: 44_401_393 + FROZEN_BN_AFFINE,
  fasterrcnn_resnet50_fpn_v2: 43_712_278,
  maskrcnn_resnet50_fpn_v2: 46_359_409,
};

describe('tfvision model list with detectors', () => {
  it('--json lists the backbones and then every detector with family "detector" and all its weights', async () => {
    const list = JSON.parse(await run('list', '--json')) as { name: string; family: string; params: number }[];
    const backbones = listModels().length;
    expect(list.length).toBe(backbones + listDetectors().length);
    expect(listDetectors().length).toBeGreaterThanOrEqual(2 * backbones + 2);
    expect(list.slice(0, backbones).every((m) => m.family !== 'detector')).toBe(true);
    const byName = new Map(list.map((m) => [m.name, m]));
    for (const [name, params] of Object.entries(TORCHVISION_NUM_PARAMS)) expect(byName.get(name)).toEqual({ name, family: 'detector', params });
    expect(byName.get('maskrcnn_resnest50d_fpn')?.family).toBe('detector');
    expect(byName.get('resnest50d')?.family).toBe('resnest');
  });

  it('--family detector keeps the detectors only; an unknown family lists the known ones', async () => {
    const list = JSON.parse(await run('list', '--family', 'detector', '--json')) as { family: string }[];
    expect(list.length).toBe(listDetectors().length);
    expect(list.every((m) => m.family === 'detector')).toBe(true);
    await expect(modelCommand.run(['list', '--family', 'detectors'])).rejects.toThrow(/^model list: no models of family "detectors" \(families: resnet, .*, detector\)$/);
  });

  it('prints a text table with a row per detector', async () => {
    const text = await run('list', '--family', 'detector');
    expect(text).toMatch(/^name +family +params +details\n/);
    expect(text).toMatch(/\nmaskrcnn_resnet50_fpn +detector +44\.45 M +torchvision, resnet50 body\n/);
  });
});

describe('tfvision model info for a detector', () => {
  const reference = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'detector-macs.json'), 'utf8')) as { models: Record<string, { macs: number; parts: Record<string, number> }> };

  it('--json prints the contract fields: all weights, MACs at 800x1088 equal to torchvision hooks, FPN levels', async () => {
    const info = JSON.parse(await run('info', 'maskrcnn_resnet50_fpn', '--backend', 'wasm', '--json'));
    expect(info).toMatchObject({
      name: 'maskrcnn_resnet50_fpn',
      family: 'detector',
      params: TORCHVISION_NUM_PARAMS.maskrcnn_resnet50_fpn,
      macs: reference.models.maskrcnn_resnet50_fpn.macs,
      inputSize: [3, 800, 1088],
      featureChannels: [256, 256, 256, 256, 256],
      featureStrides: [4, 8, 16, 32, 64],
      proposals: 1000,
      detections: 100,
      backbone: 'resnet50',
    });
    expect(info.macsByPart).toEqual(reference.models.maskrcnn_resnet50_fpn.parts);
    expect(info.features[4]).toEqual({ name: 'p6', channels: 256, stride: 64 });
  }, 60_000);

  it('--size HxW counts at another padded size; text output names the parts', async () => {
    const text = await run('info', 'fasterrcnn_resnet18_fpn', '--size', '256x320', '--backend', 'wasm');
    expect(text).toMatch(/^fasterrcnn_resnet18_fpn \(detector, torchvision; resnet18 body\)\n/);
    expect(text).toMatch(/\n {2}MACs +\d+\.\d\d G at 256x320, 1000 proposals\n {4}backbone\.body +\d+\.\d\d G\n/);
    expect(text).not.toMatch(/mask_head/);
    await expect(modelCommand.run(['info', 'fasterrcnn_resnet18_fpn', '--size', '16'])).rejects.toThrow('model info: --size must be S or HxW with sides >= 32, got "16"');
  }, 60_000);

  it('an unknown detector is a usage error naming close matches', async () => {
    const err = await modelCommand.run(['info', 'maskrcnn_resnest50_fpn']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/^model info: unknown detector "maskrcnn_resnest50_fpn" \(did you mean [^)]*maskrcnn_resnest50d_fpn[^)]*\?\); `tfvision model list --family detector` shows all \d+$/);
    await expect(modelCommand.run(['info', 'resnest50'])).rejects.toThrow(/^model info: unknown model "resnest50" \(did you mean .*resnest50d/);
  });
});
