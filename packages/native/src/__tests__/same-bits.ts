/** What the bit-for-bit kernel tests share: running one computation per backend, comparing bits. */
import * as tf from '@tensorflow/tfjs-core';

/** The first index whose float32 bits differ (signed zeros included; a NaN equals any NaN), or -1. */
export function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  return -1;
}

/** Runs `fn` (inside a tidy) on backend `name` and returns the values of the tensors it gives. */
export async function valuesOn(name: string, fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(name);
  const ts = tf.tidy(fn);
  const out = (await Promise.all(ts.map((t) => t.data()))) as Float32Array[];
  tf.dispose(ts);
  return out;
}
