import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { createBackbone } from './index.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm', report: false });
});

describe('ResNet dropout, drop path and DropBlock follow train()/eval()', () => {
  it('eval() is deterministic; train() is not', async () => {
    const model = createBackbone('resnest14d', { numClasses: 5, dropRate: 0.5, dropPathRate: 0.5, dropBlockRate: 0.3, zeroInitLastBn: false });
    const x = tf.randomNormal([2, 64, 64, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
    model.eval();
    const a = await model.forward(x).data();
    const b = await model.forward(x).data();
    expect(Array.from(a)).toEqual(Array.from(b));
    model.train();
    const c = await model.forward(x).data();
    const d = await model.forward(x).data();
    expect(Array.from(c)).not.toEqual(Array.from(d));
    const names = model.namedModules().map(([n]) => n);
    expect(names).toContain('head_drop');
    expect(names).toContain('layer4.0.drop_path');
    model.dispose();
    x.dispose();
  });
});
