// Correctness of the accelerated paths on a real device (run where a GPU is lent: there is
// none in CI). Compares the grouped-convolution kernel (the WGSL shader on webgpu) and its
// gradients with the split/conv/concat reference, then runs one training step of a small
// backbone and checks the loss and gradients are finite. Prints one JSON line per check.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, groupedConv2dFast, groupedConv2dReference } from '@tfvision/nn';
import { createBackbone } from '@tfvision/backbones';

const backend = process.argv.includes('--backend') ? process.argv[process.argv.indexOf('--backend') + 1] : 'webgpu';
const choice = await initBackend({ backend, report: false });
console.log(JSON.stringify({ kind: 'backend', backend: choice.name, provider: choice.provider }));

// Async reads: webgpu's synchronous readback needs OffscreenCanvas, which Node lacks.
async function maxRel(a, b) {
  const diff = tf.max(tf.abs(tf.sub(a, b)));
  const scale = tf.max(tf.abs(b));
  const [d, s] = [(await diff.data())[0], (await scale.data())[0]];
  tf.dispose([diff, scale]);
  return d / Math.max(1e-12, s);
}

const shapes = [
  { n: 2, h: 9, w: 11, c: 64, o: 64, g: 32, k: 3, s: 1, d: 1 },
  { n: 2, h: 14, w: 14, c: 128, o: 256, g: 32, k: 3, s: 2, d: 1 },
  { n: 1, h: 13, w: 13, c: 64, o: 64, g: 2, k: 3, s: 1, d: 2 },
  { n: 2, h: 8, w: 8, c: 48, o: 96, g: 3, k: 1, s: 1, d: 1 },
  { n: 1, h: 17, w: 15, c: 32, o: 32, g: 4, k: 5, s: 2, d: 1 },
];
let worst = 0;
for (const sh of shapes) {
  const x = tf.randomNormal([sh.n, sh.h, sh.w, sh.c], 0, 1, 'float32', 1);
  const f = tf.randomNormal([sh.k, sh.k, sh.c / sh.g, sh.o], 0, 0.1, 'float32', 2);
  const p = ((sh.k - 1) * sh.d) >> 1;
  const opts = { strides: [sh.s, sh.s], pad: [[p, p], [p, p]], dilations: [sh.d, sh.d], groups: sh.g };
  const fwd = await maxRel(groupedConv2dFast(x, f, opts), groupedConv2dReference(x, f, opts));
  // tfjs' own conv2d has no dilated gradient, so the reference gradients exist for d = 1 only
  // (the dilated ones are checked against finite differences in the CPU test suite).
  const gFast = sh.d === 1 ? tf.grads((a, b) => tf.sum(tf.square(groupedConv2dFast(a, b, opts))))([x, f]) : [];
  const gRef = sh.d === 1 ? tf.grads((a, b) => tf.sum(tf.square(groupedConv2dReference(a, b, opts))))([x, f]) : [];
  const dx = sh.d === 1 ? await maxRel(gFast[0], gRef[0]) : 0;
  const df = sh.d === 1 ? await maxRel(gFast[1], gRef[1]) : 0;
  worst = Math.max(worst, fwd, dx, df);
  console.log(JSON.stringify({ kind: 'grouped-conv', shape: sh, forwardRel: fwd, dxRel: dx, dfRel: df }));
  tf.dispose([x, f, ...gFast, ...gRef]);
}
console.log(JSON.stringify({ kind: 'grouped-conv-summary', worstRel: worst, pass: worst < 1e-4 }));

for (const name of process.argv.includes('--models') ? process.argv[process.argv.indexOf('--models') + 1].split(',') : ['resnest14d', 'seresnext26d_32x4d']) {
  const model = createBackbone(name, { numClasses: 10 });
  model.train();
  const x = tf.randomNormal([2, 64, 64, 3], 0, 1, 'float32', 3);
  const labels = tf.oneHot(tf.tensor1d([1, 7], 'int32'), 10);
  const vars = model.parameters().filter((v) => v.trainable);
  const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, model.forward(x)), vars);
  const loss = (await value.data())[0];
  let finite = Number.isFinite(loss);
  let nonZero = 0;
  for (const g of Object.values(grads)) {
    const d = await g.data();
    if (!d.every(Number.isFinite)) finite = false;
    if (d.some((v) => v !== 0)) nonZero++;
  }
  console.log(JSON.stringify({ kind: 'train-step', model: name, loss, finite, gradsNonZero: nonZero, grads: Object.keys(grads).length }));
  tf.dispose([x, labels, value, ...Object.values(grads)]);
  model.dispose();
}
