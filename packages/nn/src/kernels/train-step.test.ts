import * as tf from '@tensorflow/tfjs-core';
import '../gradients.js';
import { Layer } from '../module.js';
import { Conv2d } from '../layers/conv.js';
import { BatchNorm2d } from '../layers/batchnorm.js';
import { AvgPool2d, MaxPool2d, GlobalAvgPool } from '../layers/pool.js';
import { Linear } from '../layers/linear.js';
import { silu } from '../layers/activation.js';
import { setInitSeed } from '../init.js';
import { crossEntropy } from '../losses/cross-entropy.js';
import { registerTfvisionKernels } from './register.js';
import { relativeMaxDiff, seededValues, useBackend } from './test-util.js';

/** Every op kind the backbones train through: dense, dilated, grouped and depthwise convs, BN,
 * relu/silu/sigmoid, max pool, padded avg pool, mean (SE), softmax over radix (split
 * attention), matmul (classifier). */
class TinyNet extends Layer<tf.Tensor4D, tf.Tensor2D> {
  readonly stem = this.registerModule('stem', new Conv2d({ inChannels: 3, outChannels: 16, kernelSize: 3, stride: 2 }));
  readonly bn1 = this.registerModule('bn1', new BatchNorm2d({ numFeatures: 16 }));
  readonly pool = this.registerModule('pool', new MaxPool2d({ kernelSize: 3, stride: 2, padding: 1 }));
  readonly grouped = this.registerModule('grouped', new Conv2d({ inChannels: 16, outChannels: 32, kernelSize: 3, groups: 8 }));
  readonly dilated = this.registerModule('dilated', new Conv2d({ inChannels: 32, outChannels: 32, kernelSize: 3, dilation: 2, groups: 2 }));
  readonly bn2 = this.registerModule('bn2', new BatchNorm2d({ numFeatures: 32 }));
  readonly dw = this.registerModule('dw', new Conv2d({ inChannels: 32, outChannels: 32, kernelSize: 3, stride: 2, groups: 32 }));
  readonly bn3 = this.registerModule('bn3', new BatchNorm2d({ numFeatures: 32 }));
  readonly seReduce = this.registerModule('se_reduce', new Conv2d({ inChannels: 32, outChannels: 8, kernelSize: 1, bias: true }));
  readonly seExpand = this.registerModule('se_expand', new Conv2d({ inChannels: 8, outChannels: 32, kernelSize: 1, bias: true }));
  readonly avg = this.registerModule('avg', new AvgPool2d({ kernelSize: 2, stride: 2, padding: 1, ceilMode: true, countIncludePad: false }));
  readonly gap = this.registerModule('gap', new GlobalAvgPool());
  readonly fc = this.registerModule('fc', new Linear({ inFeatures: 16, outFeatures: 5 }));

  forward(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      let y = this.pool.forward(tf.relu(this.bn1.forward(this.stem.forward(x))));
      y = silu(this.grouped.forward(y)) as tf.Tensor4D;
      y = tf.relu(this.bn2.forward(this.dilated.forward(y)));
      y = this.bn3.forward(this.dw.forward(y));
      const se = tf.sigmoid(this.seExpand.forward(tf.relu(this.seReduce.forward(tf.mean(y, [1, 2], true)))));
      y = this.avg.forward(tf.mul(y, se) as tf.Tensor4D);
      const [n, h, w] = y.shape;
      // Radix-2 softmax over the two channel halves, as in ResNeSt's split attention.
      const radix = tf.softmax(tf.transpose(tf.reshape(y, [n, h, w, 2, 16]), [0, 1, 2, 4, 3]));
      const merged = tf.sum(tf.mul(tf.reshape(y, [n, h, w, 2, 16]), tf.transpose(radix, [0, 1, 2, 4, 3])), 3) as tf.Tensor4D;
      return this.fc.forward(this.gap.forward(merged));
    });
  }
}

function lossOf(net: TinyNet, x: tf.Tensor4D, labels: Int32Array): tf.Scalar {
  return crossEntropy(net.forward(x), labels);
}

function gradients(net: TinyNet): { loss: number; grads: Map<string, Float32Array> } {
  return tf.tidy(() => {
    const x = tf.tensor4d(seededValues(2 * 20 * 20 * 3, 21), [2, 20, 20, 3]);
    const labels = Int32Array.from([1, 3]);
    const vars = net.trainableParameters();
    const { value, grads } = tf.variableGrads(() => lossOf(net, x, labels), vars);
    const out = new Map<string, Float32Array>();
    for (const [name, v] of net.namedParameters()) out.set(name, grads[v.name].dataSync() as Float32Array);
    return { loss: value.dataSync()[0], grads: out };
  }) as unknown as { loss: number; grads: Map<string, Float32Array> };
}

describe('one training step on wasm', () => {
  it('gives the cpu gradients to 1e-4 and an SGD step moves every parameter', async () => {
    await useBackend('cpu');
    setInitSeed(5);
    const net = new TinyNet();
    const cpu = gradients(net);
    await useBackend('wasm');
    registerTfvisionKernels();
    const wasm = gradients(net);
    expect(Math.abs(wasm.loss - cpu.loss)).toBeLessThan(1e-4);
    for (const [name, g] of cpu.grads) {
      expect([name, relativeMaxDiff(wasm.grads.get(name)!, g) < 1e-4]).toEqual([name, true]);
    }

    const before = net.namedParameters().map(([name, v]) => [name, v.dataSync().slice()] as const);
    const sgd = tf.train.sgd(0.1);
    const step = (): void =>
      tf.tidy(() => {
        const x = tf.tensor4d(seededValues(2 * 20 * 20 * 3, 21), [2, 20, 20, 3]);
        const labels = Int32Array.from([1, 3]);
        sgd.minimize(() => lossOf(net, x, labels), false, net.trainableParameters());
      });
    step();
    for (const [name, old] of before) {
      const now = net.namedParameters().find(([n]) => n === name)![1].dataSync();
      const step = wasm.grads.get(name)!;
      // BN batch statistics are recomputed, so the step equals -0.1 * the gradient just measured.
      expect([name, relativeMaxDiff(Array.from(now, (v, i) => (old[i] - v) / 0.1), step) < 1e-3]).toEqual([name, true]);
    }
    // The optimizer keeps its learning-rate scalar after the first step; later steps leak nothing.
    const numTensors = tf.memory().numTensors;
    step();
    expect(tf.memory().numTensors).toBe(numTensors);
    sgd.dispose();
    net.dispose();
  });
});
