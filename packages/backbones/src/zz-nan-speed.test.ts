import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { initBackend } from '@tfvision/nn';
import { createBackbone } from './index.js';
jest.setTimeout(600000);
it('detection share of a forward', async () => {
  const config = tf.getKernel(tf.AvgPool, 'wasm')!;
  const stats = { calls: 0, elements: 0, ms: 0 };
  tf.unregisterKernel(tf.AvgPool, 'wasm');
  tf.registerKernel({ ...config, kernelFunc: (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const detection = x.shape[0] === 1 && x.shape[2] === 1 && (args.attrs as { filterSize: number[] }).filterSize[0] === x.shape[1];
    const t0 = performance.now();
    const out = config.kernelFunc(args);
    if (detection) { stats.calls++; stats.elements += tf.util.sizeFromShape(x.shape); stats.ms += performance.now() - t0; }
    return out;
  } });
  const choice = await initBackend({ backend: 'wasm', report: false });
  for (const [name, batch] of [['resnet50d', 8], ['resnet50d', 1], ['resnext50_32x4d', 8], ['efficientnet_b0', 8]] as const) {
    for (const mode of ['eval', 'train'] as const) {
      const model = createBackbone(name, { numClasses: 10 });
      if (mode === 'eval') model.eval(); else model.train();
      const x = tf.randomNormal([batch, 224, 224, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
      const run = async () => { const y = tf.tidy(() => model.forward(x) as tf.Tensor); await y.data(); y.dispose(); };
      await run();
      Object.assign(stats, { calls: 0, elements: 0, ms: 0 });
      const t0 = performance.now();
      await run();
      const total = performance.now() - t0;
      console.log(`${name} b${batch} ${mode} native=${choice.native?.active}: forward ${total.toFixed(0)} ms; NaN checks ${stats.calls} pools over ${(stats.elements / 1e6).toFixed(1)}M values, ${stats.ms.toFixed(1)} ms (${((stats.ms / total) * 100).toFixed(2)}%)`);
      x.dispose(); model.dispose();
    }
  }
});
