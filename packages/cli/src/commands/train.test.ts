import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../../..');
const BIN = join(ROOT, 'packages/cli/dist/bin.js');
const BUILT = existsSync(BIN) && existsSync(join(ROOT, 'packages/train/dist/index.js'));

function idx(magic: number, dims: number[], data: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data)]);
}

/** A Fashion-MNIST-format set of 8x8 images: class c has a bright square at a class-specific spot. */
function writeFakeFashionMnist(dir: string, prefix: string, n: number): void {
  const s = 8;
  const images = new Uint8Array(n * s * s);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 10;
    labels[i] = c;
    const at = c % 6;
    for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) images[i * s * s + (at + y) * s + ((c * 3) % 6) + x] = 255;
  }
  writeFileSync(join(dir, `${prefix}-images-idx3-ubyte`), idx(0x803, [n, s, s], images));
  writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte`), idx(0x801, [n], labels));
}

const config = {
  model: { name: 'resnet18', options: {}, args: { layers: [1, 1, 1, 1], channels: [4, 4, 8, 8], stemStride: 1, stemPool: false } },
  data: { kind: 'fashion-mnist', root: '/nonexistent', inputSize: 8, workers: 0, prefetch: 2 },
  augment: { randomResizedCrop: false, randomCropPadding: 1, flip: true, colorJitter: false, lighting: 0, autoAugment: false, randAugment: false, mixupAlpha: 0.2, labelSmoothing: 0.1 },
  optim: { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-4, batchSize: 8, accumulate: 1 },
  schedule: { epochs: 1, warmupEpochs: 0, kind: 'cosine' },
  regularisation: { dropBlock: 0, dropRate: 0, zeroInitLastBn: true },
  eval: { everySteps: 2 },
  checkpoint: { everySteps: 2, keep: 2 },
  log: { everySteps: 1 },
  seed: 0,
};

const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, TFVISION_BACKEND: 'cpu' }, timeout: 120_000 });

(BUILT ? describe : describe.skip)('tfvision train cls (built CLI)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tfv-train-cli-'));
    mkdirSync(join(dir, 'data'));
    writeFakeFashionMnist(join(dir, 'data'), 'train', 24);
    writeFakeFashionMnist(join(dir, 'data'), 't10k', 10);
    writeFileSync(join(dir, 'tiny.json'), JSON.stringify(config));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains a few steps and writes the JSONL log, curves and checkpoints', () => {
    const out = join(dir, 'out');
    const r = run(['train', 'cls', '--config', join(dir, 'tiny.json'), '--data', join(dir, 'data'), '--out', out, '--steps', '3']);
    expect(r.stderr).toContain('train: resnet18');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/step 3\/3 .*loss \d+\.\d{4} lr .* img\/s ETA/);
    const log = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; step: number; top1?: number });
    expect(log.filter((x) => x.type === 'train').map((x) => x.step)).toEqual([1, 2, 3]);
    const evals = log.filter((x) => x.type === 'eval');
    expect(evals.map((x) => x.step)).toEqual([2, 3]);
    expect(evals.every((x) => typeof x.top1 === 'number' && x.top1 >= 0 && x.top1 <= 1)).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'checkpoints', 'latest.json'), 'utf8'))).toEqual({ checkpoint: 'step-00000003', step: 3 });
    for (const f of ['model.safetensors', 'optimizer.safetensors', 'trainer.json']) expect(existsSync(join(out, 'checkpoints', 'step-00000003', f))).toBe(true);
    expect(existsSync(join(out, 'checkpoints', 'step-00000002'))).toBe(true);
    expect(readFileSync(join(out, 'curves.png')).subarray(1, 4).toString()).toBe('PNG');
  }, 150_000);

  it('refuses an --out that holds a run, naming the folder and the two ways out; the old log is untouched', () => {
    const out = join(dir, 'out');
    const before = readFileSync(join(out, 'log.jsonl'), 'utf8');
    const r = run(['train', 'cls', '--config', join(dir, 'tiny.json'), '--data', join(dir, 'data'), '--out', out, '--steps', '2']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`tfvision train: --out ${out} already holds a run (log.jsonl, checkpoints, curves.png); pass --resume to continue it or --overwrite to replace it`);
    expect(readFileSync(join(out, 'log.jsonl'), 'utf8')).toBe(before);
    const both = run(['train', 'cls', '--config', join(dir, 'tiny.json'), '--out', out, '--resume', '--overwrite']);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('--resume and --overwrite are alternatives');
  }, 60_000);

  it('--resume with other --steps, or with no checkpoint, is a usage error (exit 2)', () => {
    const out = join(dir, 'out');
    const steps = run(['train', 'cls', '--config', join(dir, 'tiny.json'), '--data', join(dir, 'data'), '--out', out, '--steps', '5', '--resume']);
    expect(steps.status).toBe(2);
    expect(steps.stderr).toContain(`--resume: ${join(out, 'checkpoints', 'step-00000003')} is from a run of 3 steps, this one has 5`);
    const empty = join(dir, 'empty-run');
    const none = run(['train', 'cls', '--config', join(dir, 'tiny.json'), '--data', join(dir, 'data'), '--out', empty, '--resume']);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain(`--resume: no checkpoint in ${join(empty, 'checkpoints')}`);
  }, 60_000);

  it('--overwrite replaces the old run (log, checkpoints, curves) and keeps other files; a short run warns about the warmup', () => {
    const out = join(dir, 'out');
    writeFileSync(join(out, 'notes.txt'), 'mine');
    const warm = join(dir, 'warm.json');
    writeFileSync(warm, JSON.stringify({ ...config, schedule: { epochs: 1, warmupEpochs: 1, kind: 'cosine' } }));
    const r = run(['train', 'cls', '--config', warm, '--data', join(dir, 'data'), '--out', out, '--steps', '2', '--overwrite']);
    expect(r.status).toBe(0);
    // 24 images / batch 8 = 3 steps an epoch = the warmup; lr 0.1 x 8/256 = 0.003125, peak at step 1 of 3: 0.00104.
    expect(r.stderr).toContain("train: warning: the warmup (schedule.warmupEpochs 1 = 3 steps) is not shorter than this run's 2 steps; the learning rate peaks at 0.00104, never reaching 0.00313");
    const log = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; step: number });
    expect(log.filter((x) => x.type === 'train').map((x) => x.step)).toEqual([1, 2]);
    expect(readdirSync(join(out, 'checkpoints')).sort()).toEqual(['best', 'latest.json', 'step-00000002']);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine');
  }, 150_000);

  it('exits 2 for an unknown model in the config, a missing data directory and --backend tpu', () => {
    const unknown = join(dir, 'unknown.json');
    writeFileSync(unknown, JSON.stringify({ ...config, model: { name: 'resnet999', options: {} } }));
    const model = run(['train', 'cls', '--config', unknown, '--data', join(dir, 'data'), '--out', join(dir, 'o1')]);
    expect(model.status).toBe(2);
    expect(model.stderr).toContain(`${unknown}: model.name: unknown model "resnet999"`);
    const typo = join(dir, 'typo.json');
    writeFileSync(typo, JSON.stringify({ ...config, model: { ...config.model, args: { chanels: [4, 4, 8, 8] } } }));
    const args = run(['train', 'cls', '--config', typo, '--data', join(dir, 'data'), '--out', join(dir, 'o1')]);
    expect(args.status).toBe(2);
    expect(args.stderr).toContain(`${typo}: model.args: unknown key "chanels" (did you mean "channels"?`);
    const data = run(['train', 'cls', '--config', join(dir, 'tiny.json'), '--data', join(dir, 'no-such-data'), '--out', join(dir, 'o1')]);
    expect(data.status).toBe(2);
    expect(data.stderr).toContain(`data.root: ${join(dir, 'no-such-data')} is not a directory (pass --data DIR or set data.root in ${join(dir, 'tiny.json')}; Debian/Ubuntu: apt-get install dataset-fashion-mnist)`);
    const tpu = run(['train', 'cls', '--config', join(dir, 'tiny.json'), '--data', join(dir, 'data'), '--out', join(dir, 'o1'), '--backend', 'tpu']);
    expect(tpu.status).toBe(2);
    expect(tpu.stderr).toContain('train: --backend must be one of tensorflow, webgpu, wasm, cpu, got "tpu"');
    expect(existsSync(join(dir, 'o1'))).toBe(false);
  }, 60_000);

  it('finds a bundled config by name from the installed package; an unknown name lists the bundled ones', () => {
    const named = run(['train', 'cls', '--config', 'fashion-mnist/resnest', '--data', join(dir, 'no-such-data')]);
    expect(named.status).toBe(2);
    expect(named.stderr).toContain(`set data.root in ${join(ROOT, 'packages/cli/configs/fashion-mnist/resnest.json')}`);
    const missing = run(['train', 'cls', '--config', 'fashion-mnist/resnst']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('--config fashion-mnist/resnst: no such file and no bundled config of that name (bundled: ');
    expect(missing.stderr).toContain('fashion-mnist/base, fashion-mnist/resnest,');
    expect(missing.stderr).toContain('imagenet/resnest50d');
  }, 60_000);

  it('rejects a bad config with exit code 2 and the field named', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...config, optim: { ...config.optim, momentun: 0.9 } }));
    const r = run(['train', 'cls', '--config', bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${bad}: optim: unknown key "momentun"`);
    const noTask = run(['train', '--config', bad]);
    expect(noTask.status).toBe(2);
    expect(noTask.stderr).toContain('missing task: tfvision train cls --config C');
  }, 60_000);
});
