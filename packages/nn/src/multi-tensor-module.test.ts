import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from './backend.js';
import { Layer, Module, ModuleDict, ModuleList, type TensorTree } from './module.js';
import { Linear } from './layers/linear.js';
import { saveStateDict } from './state/save-state-dict.js';
import { loadStateDictFile } from './state/load-state-dict.js';
import { mismatch } from './testing/torch-reference.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

type Levels = { c2: tf.Tensor2D; c3: tf.Tensor2D };

/**
 * A toy two-level neck: laterals by name (detectron2's fpn_lateral*), output blocks by index
 * (torchvision's inner_blocks), a parameter of its own.
 *   t = lateral3(c3), p3 = inner1(t), p2 = inner0(lateral2(c2) + t) * scale.
 */
class ToyNeck extends Layer<Levels, [tf.Tensor2D, tf.Tensor2D]> {
  readonly scale = this.registerParameter('scale', tf.tensor1d([1.5, -0.5]));
  readonly lateral = this.registerModule('lateral', new ModuleDict<Linear>([
    ['fpn_lateral3', new Linear({ inFeatures: 3, outFeatures: 2 })],
    ['fpn_lateral2', new Linear({ inFeatures: 2, outFeatures: 2 })],
  ]));
  readonly innerBlocks = this.registerModule('inner_blocks', new ModuleList([new Linear({ inFeatures: 2, outFeatures: 2, bias: false }), new Linear({ inFeatures: 2, outFeatures: 2, bias: false })]));

  forward({ c2, c3 }: Levels): [tf.Tensor2D, tf.Tensor2D] {
    return tf.tidy(() => {
      const t = this.lateral.get('fpn_lateral3').forward(c3);
      const p3 = this.innerBlocks.items[1].forward(t);
      const p2 = tf.mul(this.innerBlocks.items[0].forward(tf.add(this.lateral.get('fpn_lateral2').forward(c2), t)), this.scale) as tf.Tensor2D;
      return [p2, p3];
    });
  }
}

// Known weights ([in, out] as Linear stores them) for the hand-computed gradients.
const W3 = [[1, 0], [0, 2], [-1, 1]];
const B3 = [0.5, -1];
const W2 = [[2, -1], [0.5, 1]];
const B2 = [0, 0.25];
const WI0 = [[1, 2], [-1, 0.5]];
const WI1 = [[0.5, 0], [1, -2]];
const C2 = [[1, 2], [-1, 0]];
const C3 = [[0, 1, 2], [3, -1, 1]];

function setKnownWeights(m: ToyNeck): void {
  m.lateral.get('fpn_lateral3').weight.assign(tf.tensor2d(W3));
  m.lateral.get('fpn_lateral3').bias!.assign(tf.tensor1d(B3));
  m.lateral.get('fpn_lateral2').weight.assign(tf.tensor2d(W2));
  m.lateral.get('fpn_lateral2').bias!.assign(tf.tensor1d(B2));
  m.innerBlocks.items[0].weight.assign(tf.tensor2d(WI0));
  m.innerBlocks.items[1].weight.assign(tf.tensor2d(WI1));
}

const matVec = (w: number[][], v: number[]) => w.map((row) => row.reduce((s, x, j) => s + x * v[j], 0));
const rowTimes = (r: number[], w: number[][]) => w[0].map((_, j) => r.reduce((s, x, k) => s + x * w[k][j], 0));

describe('a Layer over records and arrays of tensors', () => {
  it('names parameters by key and index, own ones first, keys in insertion order', () => {
    const m = new ToyNeck();
    expect(m.namedParameters().map(([n, v]) => `${n}:${v.shape}`)).toEqual([
      'scale:2',
      'lateral.fpn_lateral3.weight:3,2', 'lateral.fpn_lateral3.bias:2',
      'lateral.fpn_lateral2.weight:2,2', 'lateral.fpn_lateral2.bias:2',
      'inner_blocks.0.weight:2,2', 'inner_blocks.1.weight:2,2',
    ]);
    expect([...m.stateDict().keys()]).toHaveLength(7);
    m.dispose();
  });

  it('takes a record and returns an array, and tf.tidy keeps the tree', () => {
    const m = new ToyNeck();
    setKnownWeights(m);
    const out: TensorTree = tf.tidy(() => m.forward({ c2: tf.tensor2d(C2), c3: tf.tensor2d(C3) }));
    const [p2, p3] = out as [tf.Tensor2D, tf.Tensor2D];
    // Row 0: t = [0,1,2]W3 + B3 = [-1.5, 3]; p3 = t WI1 = [2.25, -6]; u = [1,2]W2 + B2 = [3, 1.25];
    // p2 = (u + t) WI0 * scale = [1.5 - 4.25, 3 + 2.125] * [1.5, -0.5] = [-4.125, -2.5625].
    expect(mismatch(p3.dataSync().slice(0, 2), [2.25, -6])).toBeNull();
    expect(mismatch(p2.dataSync().slice(0, 2), [-4.125, -2.5625])).toBeNull();
    tf.dispose(out);
    m.dispose();
  });

  it('back-propagates through the record inputs and the array outputs to every parameter', () => {
    const m = new ToyNeck();
    setKnownWeights(m);
    const c2 = tf.tensor2d(C2);
    const c3 = tf.tensor2d(C3);
    const before = tf.memory().numTensors;
    // L = sum(p2) + 2 sum(p3)
    const loss = (x2: tf.Tensor, x3: tf.Tensor) => {
      const [p2, p3] = m.forward({ c2: x2 as tf.Tensor2D, c3: x3 as tf.Tensor2D });
      return tf.add(tf.sum(p2), tf.mul(2, tf.sum(p3))) as tf.Scalar;
    };
    const [g2, g3] = tf.grads(loss)([c2, c3]);
    const { value, grads } = tf.variableGrads(() => loss(c2, c3));
    // By hand: dL/d(u + t) = WI0 · scale (each row), dL/dt adds 2 · WI1 · 1, and the
    // laterals carry it back: dL/dc2 = r0 W2ᵀ, dL/dc3 = (r0 + 2 r1) W3ᵀ.
    const s = [1.5, -0.5];
    const r0 = matVec(WI0, s);
    const r1 = matVec(WI1, [1, 1]);
    const rowC2 = matVec(W2, r0);
    const rowC3 = matVec(W3, r0.map((v, k) => v + 2 * r1[k]));
    expect(mismatch(g2.dataSync(), [...rowC2, ...rowC2])).toBeNull();
    expect(mismatch(g3.dataSync(), [...rowC3, ...rowC3])).toBeNull();
    // dL/dscale_j = Σ_n ((u + t) WI0)_nj; dL/dWI1[k][j] = 2 Σ_n t_nk.
    const t = C3.map((row) => rowTimes(row, W3).map((v, j) => v + B3[j]));
    const u = C2.map((row) => rowTimes(row, W2).map((v, j) => v + B2[j]));
    const v = u.map((row, n) => rowTimes(row.map((x, k) => x + t[n][k]), WI0));
    const named = new Map(m.namedParameters().map(([n, p]) => [p.name, n]));
    const byName = new Map(Object.entries(grads).map(([k, g]) => [named.get(k), g]));
    expect(mismatch(byName.get('scale')!.dataSync(), [v[0][0] + v[1][0], v[0][1] + v[1][1]])).toBeNull();
    const tSum = [t[0][0] + t[1][0], t[0][1] + t[1][1]];
    expect(mismatch(byName.get('inner_blocks.1.weight')!.dataSync(), [2 * tSum[0], 2 * tSum[0], 2 * tSum[1], 2 * tSum[1]])).toBeNull();
    expect(byName.size).toBe(7);
    tf.dispose([g2, g3, value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('saves and loads its state dict (safetensors, strict) and then computes the same', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tfvision-multi-'));
    try {
      const a = new ToyNeck();
      const path = join(dir, 'neck.safetensors');
      await saveStateDict(a, path);
      const b = new ToyNeck();
      b.scale.assign(tf.tensor1d([9, 9]));
      const r = loadStateDictFile(b, path);
      expect(r.missing).toEqual([]);
      expect(r.unexpected).toEqual([]);
      expect(r.loaded).toHaveLength(7);
      const input = { c2: tf.tensor2d(C2), c3: tf.tensor2d(C3) };
      const [ya, yb] = [a.forward(input), b.forward(input)];
      for (let i = 0; i < 2; i++) expect(Array.from(yb[i].dataSync())).toEqual(Array.from(ya[i].dataSync()));
      tf.dispose([ya, yb, input]);
      a.dispose();
      b.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ModuleDict', () => {
  it('keeps insertion order (pairs) and looks modules up by key', () => {
    const d = new ModuleDict([['b', new Module()], ['a', new Module()], ['10', new Module()]]);
    expect(d.keys()).toEqual(['b', 'a', '10']);
    expect(d.namedChildren().map(([k]) => k)).toEqual(['b', 'a', '10']);
    expect(d.size).toBe(3);
    expect(d.has('a')).toBe(true);
    expect(d.get('a')).toBe(d.entries()[1][1]);
    expect(d.values()).toHaveLength(3);
  });

  it('takes a record (integer-like keys first, as JavaScript orders them) and set() adds more', () => {
    const d = new ModuleDict({ x: new Linear({ inFeatures: 1, outFeatures: 1 }), 2: new Linear({ inFeatures: 1, outFeatures: 1 }) });
    d.set('y', new Linear({ inFeatures: 1, outFeatures: 1, bias: false }));
    expect(d.namedParameters().map(([n]) => n)).toEqual(['2.weight', '2.bias', 'x.weight', 'x.bias', 'y.weight']);
    d.dispose();
  });

  it('rejects a duplicate, a dotted or an unknown key with one line', () => {
    const d = new ModuleDict([['fpn_lateral2', new Module()]]);
    expect(() => d.set('fpn_lateral2', new Module())).toThrow('ModuleDict: "fpn_lateral2" is already registered');
    expect(() => d.set('a.b', new Module())).toThrow('ModuleDict: invalid member name "a.b"');
    expect(() => d.get('fpn_lateral3')).toThrow('ModuleDict: no module under key "fpn_lateral3" (keys: fpn_lateral2)');
  });

  it('train/eval and dispose reach its children', () => {
    const d = new ModuleDict([['l', new Linear({ inFeatures: 2, outFeatures: 2 })]]);
    d.eval();
    expect(d.get('l').training).toBe(false);
    const before = tf.memory().numTensors;
    d.dispose();
    expect(tf.memory().numTensors).toBe(before - 2);
  });
});
