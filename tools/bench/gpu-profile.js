// Where the time goes on an accelerator backend: per-op micro timings of the convolution
// kernels a ResNet trains with, and tf.profile's per-kernel totals for one inference and one
// training step. Used to find the slow kernels on webgpu (no GPU in CI; see RESULTS.md).
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { createBackbone } from '@tfvision/backbones';

const arg = (name, fallback) => (process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1] : fallback);
const backend = arg('backend', 'webgpu');
const choice = await initBackend({ backend, report: false });
// --flags NAME=V,NAME=V sets tfjs environment flags (e.g. WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE).
for (const kv of (arg('flags', '') || '').split(',').filter(Boolean)) {
  const [k, v] = kv.split('=');
  try {
    tf.env().set(k, Number.isNaN(Number(v)) ? v === 'true' : Number(v));
  } catch (err) {
    console.log(JSON.stringify({ kind: 'flag-error', flag: k, message: err.message }));
  }
}
const only = (arg('parts', 'conv,models') || '').split(',');
const modelName = arg('model', 'resnet50d');
const emit = (r) => console.log(JSON.stringify(r));
emit({ kind: 'backend', backend: choice.name, flags: tf.env().getFlags() });

async function time(fn, iters = 5) {
  const run = async () => {
    const y = fn();
    const ys = Array.isArray(y) ? y : [y];
    await Promise.all(ys.map((t) => t.data()));
    tf.dispose(ys);
  };
  await run();
  const t = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    await run();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[t.length >> 1];
}

const convShapes = [
  { x: [8, 56, 56, 64], k: 3, o: 64, s: 1 },
  { x: [8, 56, 56, 256], k: 1, o: 64, s: 1 },
  { x: [8, 28, 28, 128], k: 3, o: 128, s: 1 },
  { x: [8, 14, 14, 256], k: 3, o: 256, s: 1 },
  { x: [8, 7, 7, 2048], k: 1, o: 512, s: 1 },
];
for (const c of only.includes('conv') ? convShapes : []) {
  const x = tf.randomNormal(c.x);
  const f = tf.randomNormal([c.k, c.k, c.x[3], c.o]);
  const y = tf.conv2d(x, f, c.s, 'same');
  const flops = 2 * y.size * c.k * c.k * c.x[3];
  const fwd = await time(() => tf.conv2d(x, f, c.s, 'same'));
  const dx = await time(() => tf.conv2dTranspose(y, f, c.x, c.s, 'same'));
  const df = await time(() => tf.grad((ff) => tf.sum(tf.mul(tf.conv2d(x, ff, c.s, 'same'), y)))(f));
  emit({ kind: 'conv', shape: c, fwdMs: fwd, dxMs: dx, dfPlusFwdMs: df, fwdGflops: flops / fwd / 1e6, dxGflops: flops / dx / 1e6 });
  tf.dispose([x, f, y]);
}

for (const [name, batch] of only.includes('models') ? [[modelName, 1], [modelName, 8]] : []) {
  const model = createBackbone(name);
  const x = tf.randomNormal([batch, 224, 224, 3]);
  const labels = tf.oneHot(tf.range(0, batch, 1, 'int32'), 1000);
  model.eval();
  const inferMs = await time(() => model.forward(x), 3);
  const profiled = only.includes('profile');
  const pInfer = profiled ? await tf.profile(async () => {
    const y = model.forward(x);
    await y.data();
    y.dispose();
  }) : { kernels: [] };
  // Copy: tf.profile reuses its result object between calls.
  const inferKernels = pInfer.kernels.map((k) => ({ name: k.name, kernelTimeMs: k.kernelTimeMs }));
  model.train();
  const vars = model.trainableParameters();
  const step = () => {
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, model.forward(x)), vars);
    tf.dispose(Object.values(grads));
    return value;
  };
  const trainMs = await time(step, 2);
  const pTrain = profiled ? await tf.profile(async () => {
    const v = step();
    await v.data();
    v.dispose();
  }) : { kernels: [] };
  for (const [mode, p, ms] of [['infer', { kernels: inferKernels }, inferMs], ['train', pTrain, trainMs]]) {
    const byKernel = {};
    for (const k of p.kernels) {
      const e = (byKernel[k.name] ??= { count: 0, ms: 0 });
      e.count++;
      e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    }
    const top = Object.entries(byKernel).sort((a, b) => b[1].ms - a[1].ms).slice(0, 14);
    emit({ kind: 'profile', name, batch, mode, wallMs: ms, kernels: p.kernels.length, kernelMsTotal: top.reduce((s, [, e]) => s + e.ms, 0), top });
  }
  tf.dispose([x, labels]);
  model.dispose();
}
