import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Layer, ModuleList, Sequential } from '../module.js';
import { Conv2d } from '../layers/conv.js';
import { BatchNorm2d } from '../layers/batchnorm.js';
import { Linear } from '../layers/linear.js';
import { GlobalAvgPool } from '../layers/pool.js';
import { ReLU } from '../layers/activation.js';
import { loadStateDict, loadStateDictFile } from './load-state-dict.js';
import { saveStateDict, stateDictToTensorMap } from './save-state-dict.js';
import { readSafetensorsHeader } from './safetensors-file.js';
import type { HostTensor, TensorMap } from './host-tensor.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

class Block extends Layer<tf.Tensor4D, tf.Tensor4D> {
  readonly conv1 = this.registerModule('conv1', new Conv2d({ inChannels: 4, outChannels: 4, kernelSize: 3, groups: 2 }));
  readonly bn1 = this.registerModule('bn1', new BatchNorm2d({ numFeatures: 4 }));
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => tf.relu(tf.add(x, this.bn1.forward(this.conv1.forward(x)))));
  }
}

class TinyNet extends Layer<tf.Tensor4D, tf.Tensor2D> {
  readonly stem = this.registerModule('stem', new Sequential([new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, stride: 2 }), new BatchNorm2d({ numFeatures: 4 }), new ReLU()]));
  readonly layer1 = this.registerModule('layer1', new Sequential([new Block()]));
  readonly pool = new GlobalAvgPool();
  readonly fc = this.registerModule('fc', new Linear({ inFeatures: 4, outFeatures: 3 }));
  forward(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.fc.forward(this.pool.forward(this.layer1.forward(this.stem.forward(x) as tf.Tensor4D)) as tf.Tensor2D));
  }
}

/** A net whose BN statistics and counters moved away from their initial values. */
function trainedNet(): TinyNet {
  const net = new TinyNet();
  tf.dispose(net.forward(tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 7) as tf.Tensor4D));
  return net.eval();
}

function snapshot(net: TinyNet): Map<string, number[]> {
  return new Map([...net.stateDict()].map(([k, v]) => [k, Array.from(v.dataSync())]));
}

describe('loadStateDict', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tfvision-sd-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips module → safetensors (PyTorch names, layouts, dtypes) → new module', async () => {
    const a = trainedNet();
    const path = join(dir, 'tiny.safetensors');
    await saveStateDict(a, path, { arch: 'tiny' });
    const header = readSafetensorsHeader(path);
    const info = new Map(header.entries.map((e) => [e.name, [e.dtype, e.shape]]));
    expect(header.metadata).toEqual({ arch: 'tiny', format: 'pt' });
    expect(info.get('stem.0.weight')).toEqual(['F32', [4, 3, 3, 3]]); // OIHW
    expect(info.get('layer1.0.conv1.weight')).toEqual(['F32', [4, 2, 3, 3]]); // grouped [out, in/g, kh, kw]
    expect(info.get('fc.weight')).toEqual(['F32', [3, 4]]); // [out, in]
    expect(info.get('stem.1.num_batches_tracked')).toEqual(['I64', []]);

    const b = new TinyNet().eval();
    const before = tf.memory().numTensors;
    const result = loadStateDictFile(b, path);
    expect(tf.memory().numTensors).toBe(before);
    expect(result).toEqual({ missing: [], unexpected: [], mismatched: [], defaulted: [], loaded: [...a.stateDict().keys()] });
    expect(snapshot(b)).toEqual(snapshot(a));
    expect(Array.from(b.stateDict().get('stem.1.num_batches_tracked')!.dataSync())).toEqual([1]);
    // Variables own their storage: none keeps the file's data buffer alive.
    for (const [, v] of b.stateDict()) {
      const values = v.dataSync();
      expect(values.byteLength).toBe(values.buffer.byteLength);
    }
    const x = tf.randomNormal([1, 8, 8, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    expect(Array.from(b.forward(x).dataSync())).toEqual(Array.from(a.forward(x).dataSync()));
  });

  it('strict: one error listing missing, unexpected and mismatched keys; assigns nothing', async () => {
    const tensors = await stateDictToTensorMap(trainedNet());
    tensors.delete('layer1.0.bn1.running_var');
    tensors.delete('stem.1.bias');
    tensors.set('fc.extra', { dtype: 'F32', shape: [1], data: new Float32Array(1) });
    tensors.set('fc.weight', { dtype: 'F32', shape: [1000, 4], data: new Float32Array(4000) });
    const b = new TinyNet();
    const before = snapshot(b);
    expect(() => loadStateDict(b, tensors, { source: 'tiny.safetensors' })).toThrow(
      'tiny.safetensors: state dict does not match TinyNet (strict load, nothing assigned): ' +
        '2 missing [stem.1.bias, layer1.0.bn1.running_var]; 1 unexpected [fc.extra]; ' +
        '1 mismatched [fc.weight: PyTorch shape [1000, 4] does not match [3, 4] (our [4, 3], Linear [out, in] -> [in, out])]',
    );
    expect(snapshot(b)).toEqual(before);
  });

  it('non-strict: loads what matches and reports the rest', async () => {
    const a = trainedNet();
    const tensors = await stateDictToTensorMap(a);
    tensors.delete('stem.1.bias');
    tensors.set('fc.weight', { dtype: 'F32', shape: [4, 3], data: new Float32Array(12) });
    tensors.set('stem.1.num_batches_tracked', { dtype: 'F32', shape: [], data: new Float32Array([1]) });
    tensors.set('head.fc.weight', { dtype: 'F32', shape: [1], data: new Float32Array(1) });
    const b = new TinyNet();
    const fcBefore = Array.from(b.fc.weight.dataSync());
    const r = loadStateDict(b, tensors, { strict: false });
    expect(r.missing).toEqual(['stem.1.bias']);
    expect(r.unexpected).toEqual(['head.fc.weight']);
    expect(r.mismatched).toEqual([
      { name: 'fc.weight', expected: [3, 4], got: [4, 3], reason: 'fc.weight: PyTorch shape [4, 3] does not match [3, 4] (our [4, 3], Linear [out, in] -> [in, out]); it looks already converted to our layout' },
      { name: 'stem.1.num_batches_tracked', expected: [], got: [], reason: 'stem.1.num_batches_tracked: dtype F32 cannot load into a int32 buffer' },
    ]);
    expect(Array.from(b.fc.weight.dataSync())).toEqual(fcBefore);
    expect(Array.from(b.stem.layers[0].stateDict().get('weight')!.dataSync())).toEqual(Array.from(a.stem.layers[0].stateDict().get('weight')!.dataSync()));
    expect(r.loaded).toHaveLength(a.stateDict().size - 3);
  });

  it('renames keys (null drops them) and refuses two keys landing on one name', async () => {
    const a = trainedNet();
    const prefixed: TensorMap = new Map([...(await stateDictToTensorMap(a))].map(([k, v]) => [`model.${k}`, v]));
    prefixed.set('model.aux_head.weight', { dtype: 'F32', shape: [2], data: new Float32Array(2) });
    const b = new TinyNet();
    const r = loadStateDict(b, prefixed, { rename: (k) => (k.startsWith('model.aux_head.') ? null : k.slice('model.'.length)) });
    expect(r.unexpected).toEqual([]);
    expect(snapshot(b)).toEqual(snapshot(a));
    const twice: Record<string, HostTensor> = { 'a.fc.bias': { dtype: 'F32', shape: [3], data: new Float32Array(3) }, 'b.fc.bias': { dtype: 'F32', shape: [3], data: new Float32Array(3) } };
    expect(() => loadStateDict(b, twice, { source: 'x.safetensors', rename: (k) => k.slice(2) })).toThrow('x.safetensors: keys "a.fc.bias" and "b.fc.bias" both map to "fc.bias"');
  });

  it('tolerates checkpoints without num_batches_tracked, as PyTorch does', async () => {
    const tensors = await stateDictToTensorMap(trainedNet());
    for (const k of [...tensors.keys()]) if (k.endsWith('num_batches_tracked')) tensors.delete(k);
    const r = loadStateDict(new TinyNet(), tensors);
    expect(r.defaulted).toEqual(['stem.1.num_batches_tracked', 'layer1.0.bn1.num_batches_tracked']);
    expect(r.missing).toEqual([]);
  });

  it('loads F16 / BF16 checkpoints into float32 parameters', async () => {
    const a = trainedNet();
    for (const floatDtype of ['F16', 'BF16'] as const) {
      const tensors = await stateDictToTensorMap(a, { floatDtype });
      expect(tensors.get('fc.weight')!.dtype).toBe(floatDtype);
      const b = new TinyNet();
      loadStateDict(b, tensors);
      const want = Array.from(a.fc.weight.dataSync());
      const got = Array.from(b.fc.weight.dataSync());
      const tol = floatDtype === 'F16' ? 2 ** -11 : 2 ** -8; // half an ulp, relative
      got.forEach((g, i) => expect(Math.abs(g - want[i])).toBeLessThanOrEqual(Math.abs(want[i]) * tol + 1e-7));
    }
  });

  it('lists at most 20 names per kind, then a count', () => {
    const bns = new ModuleList(Array.from({ length: 25 }, () => new BatchNorm2d({ numFeatures: 1 })));
    const message = (() => {
      try {
        loadStateDict(bns, {});
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(message).toMatch(/^checkpoint: state dict does not match ModuleList \(strict load, nothing assigned\): 100 missing \[0\.weight, 0\.bias, 1\.weight, .*, 9\.bias, \.\.\. 80 more\]$/);
  });
});

describe('grouped conv from PyTorch OIHW weights', () => {
  it('gives the output of a direct NCHW grouped cross-correlation', () => {
    // PyTorch Conv2d(4, 4, 3, padding=1, groups=2, bias=True): weight [4, 2, 3, 3].
    const [C, H, W, O, G, K] = [4, 3, 4, 4, 2, 3];
    const cin = C / G;
    const wTorch = new Float32Array(O * cin * K * K).map((_, i) => ((i * 37) % 11) / 10 - 0.5);
    const bias = new Float32Array([0.1, -0.2, 0.3, 0]);
    const xNchw = new Float32Array(C * H * W).map((_, i) => ((i * 13) % 7) - 3);
    // Reference: y[o][h][w] = b[o] + sum_{i<cin, kh, kw} W[o][i][kh][kw] * x[g*cin + i][h+kh-1][w+kw-1]
    const ref = new Float32Array(O * H * W);
    for (let o = 0; o < O; o++) {
      const g = Math.floor(o / (O / G));
      for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) {
        let s = bias[o];
        for (let i = 0; i < cin; i++) for (let kh = 0; kh < K; kh++) for (let kw = 0; kw < K; kw++) {
          const y = h + kh - 1;
          const x = w + kw - 1;
          if (y < 0 || y >= H || x < 0 || x >= W) continue;
          s += wTorch[((o * cin + i) * K + kh) * K + kw] * xNchw[((g * cin + i) * H + y) * W + x];
        }
        ref[(o * H + h) * W + w] = s;
      }
    }
    const conv = new Conv2d({ inChannels: C, outChannels: O, kernelSize: K, groups: G, bias: true });
    loadStateDict(conv, { weight: { dtype: 'F32', shape: [O, cin, K, K], data: wTorch }, bias: { dtype: 'F32', shape: [O], data: bias } });
    const xNhwc = tf.tidy(() => tf.transpose(tf.tensor4d(xNchw, [1, C, H, W]), [0, 2, 3, 1])) as tf.Tensor4D;
    const y = tf.tidy(() => tf.transpose(conv.forward(xNhwc), [0, 3, 1, 2]));
    const got = y.dataSync();
    ref.forEach((r, i) => expect(got[i]).toBeCloseTo(r, 5));
    tf.dispose([xNhwc, y]);
  });
});
