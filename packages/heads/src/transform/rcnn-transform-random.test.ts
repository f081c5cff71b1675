/**
 * setRandom: the training draw of minSize comes from the injected stream after construction
 * (what a trainer's per-step stream needs), torch_choice's index floor(u · len); eval ignores it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { GeneralizedRCNNTransform } from './rcnn-transform.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

describe('GeneralizedRCNNTransform.setRandom', () => {
  it('draws each training image short side from the injected stream, eval uses the last size', () => {
    const transform = new GeneralizedRCNNTransform({ minSize: [32, 48, 64], maxSize: 1000 });
    const draws = [0.0, 0.5, 0.99, 0.34];
    let calls = 0;
    transform.setRandom(() => draws[calls++]);
    // 20 x 40 images: the short side becomes the drawn size, the long side twice it.
    const images = [0, 1, 2, 3].map(() => tf.zeros([20, 40, 3]) as tf.Tensor3D);
    const before = tf.memory().numTensors;
    const out = transform.forward(images);
    // u = 0 -> index 0; 0.5 -> floor(1.5) = 1; 0.99 -> 2; 0.34 -> floor(1.02) = 1.
    expect(out.images.imageSizes).toEqual([
      [32, 64],
      [48, 96],
      [64, 128],
      [48, 96],
    ]);
    expect(calls).toBe(4);
    out.images.tensor.dispose();
    expect(tf.memory().numTensors).toBe(before);
    transform.eval();
    const evalOut = transform.forward(images.slice(0, 1));
    expect(evalOut.images.imageSizes).toEqual([[64, 128]]);
    expect(calls).toBe(4);
    evalOut.images.tensor.dispose();
    tf.dispose(images);
  });

  it('refuses a non-function', () => {
    const transform = new GeneralizedRCNNTransform();
    expect(() => transform.setRandom(0.5 as unknown as () => number)).toThrow('GeneralizedRCNNTransform: setRandom: random must be a function returning values in [0, 1), got number');
  });
});
