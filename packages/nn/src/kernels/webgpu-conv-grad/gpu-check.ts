import * as tf from '@tensorflow/tfjs-core';
import { conv2d } from '../../ops/conv2d.js';
import { seededValues, relativeMaxDiff } from '../test-util.js';
import { ZOO_CASES, type ConvGradCase } from './zoo-cases.js';

/**
 * The zoo's convolution gradients on the active backend (webgpu, with
 * registerWebGpuConvGradKernels installed) against the cpu backend: the same seeded x, W and dy,
 * tf.grads through tfvision's conv2d on both. Reads back asynchronously (webgpu's synchronous
 * readback needs OffscreenCanvas, which Node lacks). One result per case.
 */
export interface GpuCheckResult {
  name: string;
  dxRel: number;
  dwRel: number;
  pass: boolean;
}

async function grads(k: ConvGradCase, backend: string): Promise<[Float32Array, Float32Array]> {
  await tf.setBackend(backend);
  const x = tf.tensor4d(seededValues(k.x.reduce((p, q) => p * q, 1), 11), k.x);
  const w = tf.tensor4d(seededValues(k.filter.reduce((p, q) => p * q, 1), 12), k.filter);
  const [t, b, l, r] = k.conv.pad;
  const opts = { strides: k.conv.strides, dilations: k.conv.dilations, pad: [[t, b], [l, r]] as [[number, number], [number, number]], groups: k.conv.groups };
  const y = conv2d(x, w, opts);
  const dy = tf.tensor4d(seededValues(y.size, 13), y.shape);
  const [dx, dw] = tf.grads((a: tf.Tensor, f: tf.Tensor) => tf.sum(tf.mul(conv2d(a as tf.Tensor4D, f as tf.Tensor4D, opts), dy)))([x, w]);
  const out: [Float32Array, Float32Array] = [(await dx.data()) as Float32Array, (await dw.data()) as Float32Array];
  tf.dispose([x, w, y, dy, dx, dw]);
  return out;
}

export async function runGpuConvGradCheck(backend = 'webgpu', tolerance = 1e-4): Promise<GpuCheckResult[]> {
  const results: GpuCheckResult[] = [];
  for (const k of ZOO_CASES) {
    const [dxRef, dwRef] = await grads(k, 'cpu');
    const [dx, dw] = await grads(k, backend);
    const dxRel = relativeMaxDiff(dx, dxRef);
    const dwRel = relativeMaxDiff(dw, dwRef);
    results.push({ name: k.name, dxRel, dwRel, pass: dxRel < tolerance && dwRel < tolerance });
  }
  await tf.setBackend(backend);
  return results;
}
