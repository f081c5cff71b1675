import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Module, Sequential, Layer } from './module.js';
import { Conv2d } from './layers/conv.js';
import { BatchNorm2d } from './layers/batchnorm.js';
import { Linear } from './layers/linear.js';
import { GlobalAvgPool } from './layers/pool.js';
import { ReLU } from './layers/activation.js';
import { crossEntropy } from './losses/cross-entropy.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

class Block extends Layer<tf.Tensor4D, tf.Tensor4D> {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  constructor(c: number) {
    super();
    this.conv1 = this.registerModule('conv1', new Conv2d({ inChannels: c, outChannels: c, kernelSize: 3, groups: 2 }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d({ numFeatures: c }));
  }
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => tf.relu(tf.add(x, this.bn1.forward(this.conv1.forward(x)))));
  }
}

class TinyNet extends Layer<tf.Tensor4D, tf.Tensor2D> {
  readonly stem: Sequential;
  readonly layer1: Sequential;
  readonly pool = new GlobalAvgPool();
  readonly fc: Linear;
  constructor() {
    super();
    this.stem = this.registerModule('stem', new Sequential([new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, stride: 2 }), new BatchNorm2d({ numFeatures: 4 }), new ReLU()]));
    this.layer1 = this.registerModule('layer1', new Sequential([new Block(4), new Block(4)]));
    this.fc = this.registerModule('fc', new Linear({ inFeatures: 4, outFeatures: 3 }));
  }
  forward(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.fc.forward(this.pool.forward(this.layer1.forward(this.stem.forward(x) as tf.Tensor4D) as tf.Tensor4D)));
  }
}

describe('Module', () => {
  it('names parameters and buffers with PyTorch dotted paths in registration order', () => {
    const net = new TinyNet();
    expect(net.namedParameters().map(([n]) => n)).toEqual([
      'stem.0.weight', 'stem.1.weight', 'stem.1.bias',
      'layer1.0.conv1.weight', 'layer1.0.bn1.weight', 'layer1.0.bn1.bias',
      'layer1.1.conv1.weight', 'layer1.1.bn1.weight', 'layer1.1.bn1.bias',
      'fc.weight', 'fc.bias',
    ]);
    expect(net.namedBuffers().map(([n]) => n).slice(0, 3)).toEqual(['stem.1.running_mean', 'stem.1.running_var', 'stem.1.num_batches_tracked']);
    // 3*3*3*4 + 8 + 2*(3*3*2*4 + 8) + 4*3 + 3
    expect(net.numParameters()).toBe(108 + 8 + 2 * (72 + 8) + 15);
  });

  it('switches train/eval recursively and freezes subtrees', () => {
    const net = new TinyNet();
    net.eval();
    expect(net.namedModules().every(([, m]) => !m.training)).toBe(true);
    net.layer1.freeze();
    expect(net.trainableParameters().length).toBe(5);
    net.unfreeze();
    expect(net.trainableParameters().length).toBe(11);
  });

  it('refuses duplicate and dotted member names', () => {
    class Bad extends Module {
      constructor() {
        super();
        this.registerModule('a', new ReLU());
        this.registerModule('a', new ReLU());
      }
    }
    expect(() => new Bad()).toThrow(/"a" is already registered/);
  });
});

describe('training step', () => {
  it('does not leak tensors across forward + backward + update steps', () => {
    const net = new TinyNet();
    net.train();
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const labels = Int32Array.from([0, 2]);
    const step = () => {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => {
          const logits = net.forward(x);
          return crossEntropy(logits, labels);
        }, net.trainableParameters());
        for (const [name, g] of Object.entries(grads)) {
          const v = net.trainableParameters().find((p) => p.name === name)!;
          v.assign(tf.sub(v, tf.mul(g, 0.1)));
        }
        value.dataSync();
      });
    };
    step();
    const before = tf.memory().numTensors;
    step();
    step();
    expect(tf.memory().numTensors).toBe(before);
  });
});
