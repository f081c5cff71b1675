import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Layer, Sequential } from '../module.js';
import { Conv2d } from '../layers/conv.js';
import { BatchNorm2d } from '../layers/batchnorm.js';
import { Linear } from '../layers/linear.js';
import { GlobalAvgPool } from '../layers/pool.js';
import { ReLU } from '../layers/activation.js';
import { loadStateDictFile } from './load-state-dict.js';
import { saveStateDict } from './save-state-dict.js';
import { readSafetensors } from './safetensors-file.js';
import { readNpy, writeNpy } from './npy-file.js';
import { hostToTensor, tensorToHost } from './tf-convert.js';

/**
 * Cross-checks against PyTorch (Debian's /usr/bin/python3 with torch 1.13): a state dict saved
 * by torch loads here strictly and gives torch's output; ours loads in torch strictly and gives
 * ours; F16/BF16/I64 decode to torch's values. Skips when torch is not there.
 */
const PYTHON = '/usr/bin/python3';
const SCRIPT = join(__dirname, 'testdata', 'torch_state_dict.py');
const hasTorch = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0;
const describeTorch = hasTorch ? describe : describe.skip;

class Block extends Layer<tf.Tensor4D, tf.Tensor4D> {
  readonly conv1 = this.registerModule('conv1', new Conv2d({ inChannels: 4, outChannels: 4, kernelSize: 3, groups: 2 }));
  readonly bn1 = this.registerModule('bn1', new BatchNorm2d({ numFeatures: 4 }));
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => tf.relu(tf.add(x, this.bn1.forward(this.conv1.forward(x)))));
  }
}

/** The TinyNet of testdata/torch_state_dict.py. */
class TinyNet extends Layer<tf.Tensor4D, tf.Tensor2D> {
  readonly stem = this.registerModule('stem', new Sequential([new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, stride: 2 }), new BatchNorm2d({ numFeatures: 4 }), new ReLU()]));
  readonly layer1 = this.registerModule('layer1', new Sequential([new Block()]));
  readonly pool = new GlobalAvgPool();
  readonly fc = this.registerModule('fc', new Linear({ inFeatures: 4, outFeatures: 3 }));
  forward(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.fc.forward(this.pool.forward(this.layer1.forward(this.stem.forward(x) as tf.Tensor4D)) as tf.Tensor2D));
  }
}

function python(...args: string[]): string {
  const r = spawnSync(PYTHON, [SCRIPT, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`torch_state_dict.py ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

describeTorch('state dicts against PyTorch', () => {
  let dir: string;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'tfvision-torch-'));
    python('export', dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a torch state dict strictly and reproduces torch\'s output', () => {
    const net = new TinyNet().eval();
    const r = loadStateDictFile(net, join(dir, 'torch.safetensors'));
    expect(r.missing.length + r.unexpected.length + r.mismatched.length + r.defaulted.length).toBe(0);
    const x = hostToTensor(readNpy(join(dir, 'x.npy'))) as tf.Tensor4D;
    const want = readNpy(join(dir, 'y.npy'));
    const y = net.forward(x);
    expect(y.shape).toEqual(want.shape);
    const got = y.dataSync();
    want.data.forEach((v, i) => expect(Math.abs(got[i] - v)).toBeLessThan(1e-5));
    tf.dispose([x, y]);
  });

  it('saves a state dict that torch loads strictly (load_state_dict) with the same output', async () => {
    const net = new TinyNet().eval();
    tf.dispose(net.train().forward(tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 5) as tf.Tensor4D));
    net.eval();
    await saveStateDict(net, join(dir, 'ours.safetensors'));
    const x = hostToTensor(readNpy(join(dir, 'x.npy'))) as tf.Tensor4D;
    const y = net.forward(x);
    writeNpy(join(dir, 'ours_y.npy'), await tensorToHost(y));
    const report = JSON.parse(python('check', dir)) as { max_abs_diff: number; num_batches_tracked: number };
    expect(report.max_abs_diff).toBeLessThan(1e-4);
    expect(report.num_batches_tracked).toBe(1);
    tf.dispose([x, y]);
  });

  it('decodes torch\'s F16, BF16 and I64 bytes to torch\'s values', () => {
    const { tensors } = readSafetensors(join(dir, 'dtypes.safetensors'));
    const want = Array.from(readNpy(join(dir, 'dtypes.npy')).data);
    const got = [...tensors.get('h')!.data, ...tensors.get('b')!.data, ...tensors.get('n')!.data];
    expect(got).toEqual(want);
  });
});
