import * as tf from '@tensorflow/tfjs-core';
import '../gradients.js';
import { initBackend } from '../backend.js';

interface WasmBackendView {
  dataIdMap: { has(dataId: tf.DataId): boolean };
  refCount(dataId: tf.DataId): number;
}

describe('wasm Identity shares the data (the tape clones every saved tensor)', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', report: false });
  });

  it('a clone points at the same heap bytes, outlives its source, and frees them with the last reference', async () => {
    const backend = tf.backend() as unknown as WasmBackendView;
    const a = tf.tensor([1, 2, 3, 4], [2, 2]);
    const b = a.clone();
    expect(b.dataId).toBe(a.dataId);
    expect(backend.refCount(b.dataId)).toBe(2);
    a.dispose();
    expect(Array.from(await b.data())).toEqual([1, 2, 3, 4]);
    expect(tf.add(b, 1).arraySync()).toEqual([[2, 3], [4, 5]]);
    const id = b.dataId;
    b.dispose();
    expect(backend.dataIdMap.has(id)).toBe(false);
  });

  it('gradients through ops that save their inputs are unchanged, and nothing leaks', () => {
    const before = tf.memory().numTensors;
    const x = tf.tensor([0.5, -1, 2, 3]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.exp(v), tf.relu(v))))(x);
    const xs = [0.5, -1, 2, 3];
    expect(Array.from(g.dataSync()).map((v) => Number(v.toFixed(4)))).toEqual(xs.map((v) => Number((v > 0 ? Math.exp(v) * (v + 1) : 0).toFixed(4))));
    tf.dispose([x, g]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
