import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, GlobalAvgPool, Layer, Linear, initBackend } from '@tfvision/nn';
import { countKernels, countStepKernels } from './kernel-count.js';

class Small extends Layer<tf.Tensor4D, tf.Tensor2D> {
  readonly conv = this.registerModule('conv', new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, bias: false }));
  readonly bn = this.registerModule('bn', new BatchNorm2d({ numFeatures: 4 }));
  readonly pool = this.registerModule('pool', new GlobalAvgPool());
  readonly fc = this.registerModule('fc', new Linear({ inFeatures: 4, outFeatures: 3 }));
  forward(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.fc.forward(this.pool.forward(tf.relu(this.bn.forward(this.conv.forward(x))))));
  }
}

describe.each(['cpu', 'wasm'])('countKernels on %s', (backend) => {
  beforeAll(async () => {
    await initBackend({ backend, report: false });
  });

  it('counts the leaf kernels of plain ops by name', async () => {
    const a = tf.tensor1d([1, -2, 3]);
    const c = await countKernels(() => {
      tf.tidy(() => tf.relu(tf.add(tf.mul(a, a), a)));
    });
    expect(c.byName).toEqual([['Add', 1], ['Multiply', 1], ['Relu', 1]]);
    expect(c.leaves).toBe(3);
    expect(c.dispatches).toBe(3);
    a.dispose();
  });

  it('counts what a composite kernel runs, not the composite itself', async () => {
    // A customGrad op is a scope whose inner kernels are the leaves.
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({ value: tf.neg(tf.exp(args[0] as tf.Tensor)), gradFunc: (dy: tf.Tensor) => dy }));
    const c = await countKernels(() => {
      tf.tidy(() => op(x));
    });
    expect(c.byName).toEqual([['Exp', 1], ['Neg', 1]]);
    expect(c.invocations).toBe(3);
    x.dispose();
  });

  it('counts a training step of a small model: SGD is one kernel per parameter, nothing leaks', async () => {
    const model = new Small();
    const before = tf.memory().numTensors;
    const c = await countStepKernels(model, 2, 8);
    expect(tf.memory().numTensors).toBe(before);
    // conv.weight, bn.weight, bn.bias, fc.weight, fc.bias.
    expect(c.optimizer.byName).toEqual([['TfvSgdMomentum', 5]]);
    const names = new Map(c.train.byName);
    // Under the tape every kernel clones what its gradient keeps (Identity) before it is
    // recorded; the forward kernels still count as leaves.
    // (wasm's input gradient is itself a forward convolution, so it counts 2 there.)
    expect(names.get('Conv2D')).toBeGreaterThanOrEqual(1);
    expect(names.get('Relu')).toBeGreaterThanOrEqual(1);
    expect(names.get('TfvBatchNormTrain')).toBe(1);
    expect(names.get('TfvBatchNormTrainGrad')).toBe(1);
    expect(names.get('TfvSgdMomentum')).toBe(5);
    expect(new Map(c.infer.byName).has('TfvBatchNormTrain')).toBe(false);
    expect(c.train.dispatches).toBeGreaterThan(c.infer.dispatches);
    model.dispose();
  });
});
