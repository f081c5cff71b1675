import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readNpy, readSafetensors, writeNpy, writeSafetensors } from '@tfvision/nn';
import { formulaTensor, formulaWave } from '@tfvision/backbones';

const root = path.join(__dirname, '..');
const bin = path.join(root, 'packages', 'cli', 'dist', 'bin.js');

function tfvision(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, TFVISION_BACKEND: 'wasm' } });
}

describe('tfvision model (built CLI, DESIGN.md contract)', () => {
  it('list --json prints every registered model with timm parameter counts', () => {
    const r = tfvision('model', 'list', '--json');
    expect(r.status).toBe(0);
    const list = JSON.parse(r.stdout) as { name: string; family: string; params: number }[];
    const byName = new Map(list.map((m) => [m.name, m]));
    expect(byName.get('resnest50d')).toEqual({ name: 'resnest50d', family: 'resnest', params: 27_483_240 });
    expect(byName.get('tf_efficientnet_b7')?.params).toBe(66_347_960);
    for (const n of ['seresnet50', 'seresnext50_32x4d', 'skresnet50', 'skresnext50_32x4d', 'resnext50_32x4d', 'resnext101_32x8d', 'resnet50d', 'efficientnet_b0']) expect(byName.has(n)).toBe(true);
  });

  it('info resnest50d --json: 27,483,240 params, ~5.4 GMACs at 224, features', () => {
    const r = tfvision('model', 'info', 'resnest50d', '--json');
    expect(r.status).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info).toMatchObject({ name: 'resnest50d', params: 27_483_240, inputSize: [3, 224, 224], featureChannels: [64, 256, 512, 1024, 2048], featureStrides: [2, 4, 8, 16, 32] });
    expect(info.features[1]).toEqual({ level: 'c2', name: 'layer1', channels: 256, stride: 4 });
    expect(info.macs).toBe(5_371_160_576);
  });

  it('info of an unknown model names close matches (a usage error, exit 2)', () => {
    const r = tfvision('model', 'info', 'resnest50', '--json');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown model "resnest50" \(did you mean .*resnest50d/);
  });

  it("forward: a timm-named checkpoint and an NHWC .npy give timm's logits", () => {
    const fx = JSON.parse(fs.readFileSync(path.join(root, 'packages', 'backbones', 'fixtures', 'equivalence', 'resnest14d.json'), 'utf8'));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfv-forward-'));
    // The checkpoint timm would save for the formula weights; keys and PyTorch shapes from a 0-class build are not enough
    // (the classifier is needed), so list them from the fixture generator's model: resnest14d's state dict.
    const keys = JSON.parse(spawnSync(process.execPath, ['-e', `
      import('@tfvision/backbones').then(async (b) => {
        const m = b.createBackbone('resnest14d');
        const out = [...m.stateDict()].map(([k, v]) => [k, v.shape.length === 4 ? [v.shape[3], v.shape[2], v.shape[0], v.shape[1]] : v.shape.length === 2 ? [v.shape[1], v.shape[0]] : v.shape]);
        process.stdout.write(JSON.stringify(out));
      });`], { cwd: root, encoding: 'utf8', env: { ...process.env, TFVISION_BACKEND: 'cpu' } }).stdout) as [string, number[]][];
    writeSafetensors(path.join(dir, 'w.safetensors'), new Map(keys.map(([k, s]) => [k, formulaTensor(k, s)])));
    const { batch: n, channels: c, height: h, width: w } = fx.input;
    const nchw = formulaWave('input', n * c * h * w);
    const nhwc = new Float32Array(n * h * w * c);
    for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) nhwc[((b * h + y) * w + x) * c + ch] = nchw[((b * c + ch) * h + y) * w + x];
    writeNpy(path.join(dir, 'x.npy'), { dtype: 'F32', shape: [n, h, w, c], data: nhwc });
    const r = tfvision('model', 'forward', 'resnest14d', '--weights', path.join(dir, 'w.safetensors'), '--input', path.join(dir, 'x.npy'), '--output', path.join(dir, 'y.npy'));
    expect(r.stderr).toMatch(/timm names/);
    expect(r.status).toBe(0);
    const y = readNpy(path.join(dir, 'y.npy'));
    expect(y.shape).toEqual([2, 1000]);
    let maxDiff = 0;
    for (let i = 0; i < 2000; i++) maxDiff = Math.max(maxDiff, Math.abs((y.data as Float32Array)[i] - fx.logits[Math.floor(i / 1000)][i % 1000]));
    expect(maxDiff / fx.maxAbsLogit).toBeLessThan(1e-4);
  }, 60_000);

  it('forward rejects an NCHW input with a hint', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfv-forward-'));
    writeNpy(path.join(dir, 'x.npy'), { dtype: 'F32', shape: [1, 3, 32, 32], data: new Float32Array(3 * 32 * 32) });
    writeSafetensors(path.join(dir, 'w.safetensors'), new Map([['fc.weight', { dtype: 'F32', shape: [10, 512], data: new Float32Array(5120) }]]));
    const r = tfvision('model', 'forward', 'resnet18', '--weights', path.join(dir, 'w.safetensors'), '--input', path.join(dir, 'x.npy'), '--output', path.join(dir, 'y.npy'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/x\.npy: shape \[1, 3, 32, 32\] looks like NCHW; tfvision takes NHWC/);
  });

  it("export writes formula weights with timm's names: forward on them gives timm's logits", () => {
    const fx = JSON.parse(fs.readFileSync(path.join(root, 'packages', 'backbones', 'fixtures', 'equivalence', 'resnest14d.json'), 'utf8'));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfv-export-'));
    const w = path.join(dir, 'w.safetensors');
    const e = tfvision('model', 'export', 'resnest14d', '--out', w);
    expect(e.stderr).toMatch(/resnest14d \(formula weights, timm names, \d+ tensors, 1000 classes\)/);
    expect(e.status).toBe(0);
    const { batch: n, channels: c, height: h, width: wd } = fx.input;
    const nchw = formulaWave('input', n * c * h * wd);
    const nhwc = new Float32Array(n * h * wd * c);
    for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < wd; x++) nhwc[((b * h + y) * wd + x) * c + ch] = nchw[((b * c + ch) * h + y) * wd + x];
    writeNpy(path.join(dir, 'x.npy'), { dtype: 'F32', shape: [n, h, wd, c], data: nhwc });
    const r = tfvision('model', 'forward', 'resnest14d', '--weights', w, '--input', path.join(dir, 'x.npy'), '--output', path.join(dir, 'y.npy'));
    expect(r.status).toBe(0);
    const y = readNpy(path.join(dir, 'y.npy'));
    let maxDiff = 0;
    for (let i = 0; i < 2000; i++) maxDiff = Math.max(maxDiff, Math.abs((y.data as Float32Array)[i] - fx.logits[Math.floor(i / 1000)][i % 1000]));
    expect(maxDiff / fx.maxAbsLogit).toBeLessThan(1e-4);
  }, 60_000);

  it('export --layout torchvision renames EfficientNet to torchvision keys that load to the same logits; --init SEED differs', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfv-export-tv-'));
    const run = (args: string[]) => tfvision(...args);
    expect(run(['model', 'export', 'efficientnet_b0', '--out', path.join(dir, 'timm.safetensors'), '--classes', '10']).status).toBe(0);
    expect(run(['model', 'export', 'efficientnet_b0', '--out', path.join(dir, 'tv.safetensors'), '--classes', '10', '--layout', 'torchvision']).status).toBe(0);
    expect(run(['model', 'export', 'efficientnet_b0', '--out', path.join(dir, 'seed.safetensors'), '--classes', '10', '--init', '7']).status).toBe(0);
    const tv = readSafetensors(path.join(dir, 'tv.safetensors')).tensors;
    expect(tv.has('features.0.0.weight')).toBe(true);
    expect(tv.has('features.1.0.block.1.fc1.weight')).toBe(true);
    expect(tv.has('features.2.0.block.3.1.running_var')).toBe(true);
    expect(tv.has('features.8.1.bias')).toBe(true);
    expect(tv.get('classifier.1.weight')?.shape).toEqual([10, 1280]);
    expect(tv.size).toBe(readSafetensors(path.join(dir, 'timm.safetensors')).tensors.size);
    writeNpy(path.join(dir, 'x.npy'), { dtype: 'F32', shape: [1, 32, 32, 3], data: Float32Array.from(formulaWave('x', 32 * 32 * 3)) });
    const logits = (w: string) => {
      const r = run(['model', 'forward', 'efficientnet_b0', '--weights', path.join(dir, w), '--input', path.join(dir, 'x.npy'), '--output', path.join(dir, `${w}.npy`)]);
      expect(r.status).toBe(0);
      return { names: r.stderr, y: readNpy(path.join(dir, `${w}.npy`)).data as Float32Array };
    };
    const a = logits('timm.safetensors');
    const b = logits('tv.safetensors');
    const s = logits('seed.safetensors');
    expect(b.names).toContain('torchvision names');
    expect(Array.from(b.y)).toEqual(Array.from(a.y));
    expect(Array.from(s.y)).not.toEqual(Array.from(a.y));
    const bad = run(['model', 'export', 'resnest14d', '--out', path.join(dir, 'x.safetensors'), '--layout', 'torchvision']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('model export: torchvision has no resnest14d');
  }, 120_000);

  it("forward with another architecture's checkpoint lists missing and unexpected keys with counts", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfv-forward-arch-'));
    expect(tfvision('model', 'export', 'resnet18', '--out', path.join(dir, 'r18.safetensors'), '--classes', '10').status).toBe(0);
    writeNpy(path.join(dir, 'x.npy'), { dtype: 'F32', shape: [1, 32, 32, 3], data: new Float32Array(32 * 32 * 3) });
    const r = tfvision('model', 'forward', 'efficientnet_b0', '--weights', path.join(dir, 'r18.safetensors'), '--input', path.join(dir, 'x.npy'), '--output', path.join(dir, 'y.npy'));
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/state dict does not match EfficientNet .*: \d+ missing \[conv_stem\.weight, .*, \.\.\. \d+ more\]; \d+ unexpected \[layer1\.0\.bn1\.num_batches_tracked, .*conv1\.weight, \.\.\. \d+ more\]/);
    expect(r.stderr).not.toContain('no classifier weight');
  }, 60_000);

  it('--output in a missing folder names that folder before any work (exit 2)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfv-forward-out-'));
    writeNpy(path.join(dir, 'x.npy'), { dtype: 'F32', shape: [1, 32, 32, 3], data: new Float32Array(32 * 32 * 3) });
    writeSafetensors(path.join(dir, 'w.safetensors'), new Map([['fc.weight', { dtype: 'F32', shape: [10, 512], data: new Float32Array(5120) }]]));
    const out = path.join(dir, 'missing', 'y.npy');
    const r = tfvision('model', 'forward', 'resnet18', '--weights', path.join(dir, 'w.safetensors'), '--input', path.join(dir, 'x.npy'), '--output', out);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`tfvision model: model forward: --output ${out}: folder ${path.join(dir, 'missing')} does not exist (create it first)`);
    const e = tfvision('model', 'export', 'resnet18', '--out', out);
    expect(e.status).toBe(2);
    expect(e.stderr).toContain(`folder ${path.join(dir, 'missing')} does not exist`);
  });
});
