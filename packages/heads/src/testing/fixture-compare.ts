import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { hashUniform } from './hash-weights.js';

/** A tensor stored whole in a fixture (NHWC for maps). */
export interface StoredTensor {
  shape: number[];
  values: number[];
}

/** Reads packages/heads/fixtures/<name>. */
export function readHeadsFixture<T>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', name), 'utf8')) as T;
}

/** The generators' hash input `input.<name>` of a PyTorch (NCHW for rank 4) shape, in our layout. */
export function hashInput(name: string, torchShape: number[]): tf.Tensor {
  const n = torchShape.reduce((a, b) => a * b, 1);
  const data = Float32Array.from(hashUniform(`input.${name}`, n));
  return tf.tidy(() => {
    const t = tf.tensor(data, torchShape);
    return torchShape.length === 4 ? tf.transpose(t, [0, 2, 3, 1]) : t;
  });
}

/** max |got - ref| / max |ref|: the relative error the equivalence tests bound. */
export function relativeError(got: tf.Tensor | ArrayLike<number>, ref: StoredTensor | ArrayLike<number>): number {
  const g = got instanceof tf.Tensor ? got.dataSync() : got;
  const r = Array.isArray(ref) || ArrayBuffer.isView(ref) || !('values' in ref) ? (ref as ArrayLike<number>) : (ref as StoredTensor).values;
  if (g.length !== r.length) throw new Error(`relativeError: ${g.length} values against ${r.length}`);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < r.length; i++) {
    worst = Math.max(worst, Math.abs(g[i] - r[i]));
    scale = Math.max(scale, Math.abs(r[i]));
  }
  return scale === 0 ? worst : worst / scale;
}
