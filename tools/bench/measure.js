// One backend per process (wasm threads and custom kernels are set up once per process):
// run.js starts this file with --backend X and reads JSON lines from its stdout.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, groupedConv2dFast, groupedConv2dReference } from '@tfvision/nn';

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

function median(v) {
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function emit(record) {
  process.stdout.write(`${JSON.stringify(record)}\n`);
}

async function timeMs(fn, iters) {
  const run = async () => {
    const y = fn();
    await y.data();
    y.dispose();
  };
  await run();
  const times = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** The issue #6 shape: 8x28x28x256, 3x3, 32 groups, stride 1, pad 1. */
async function groupedMicro(backend, iters) {
  const [n, h, w, c, groups, k] = [8, 28, 28, 256, 32, 3];
  const x = tf.randomNormal([n, h, w, c]);
  const f = tf.randomNormal([k, k, c / groups, c]);
  const opts = { strides: [1, 1], pad: [[1, 1], [1, 1]], dilations: [1, 1], groups };
  const flops = 2 * n * h * w * c * k * k * (c / groups);
  // The JS cpu backend needs seconds per call here; fewer repeats keep the bench short.
  const reps = backend === 'cpu' ? Math.min(iters, 2) : iters;
  const refMs = await timeMs(() => groupedConv2dReference(x, f, opts), reps);
  const fastMs = await timeMs(() => groupedConv2dFast(x, f, opts), reps);
  const trainMs = await timeMs(() => {
    const [dx, df] = tf.grads((a, b) => groupedConv2dFast(a, b, opts))([x, f]);
    df.dispose();
    return dx;
  }, reps);
  x.dispose();
  f.dispose();
  emit({
    kind: 'grouped-conv',
    backend,
    shape: '8x28x28x256 3x3 g=32',
    referenceGflops: flops / refMs / 1e6,
    kernelGflops: flops / fastMs / 1e6,
    speedup: refMs / fastMs,
    kernelMs: fastMs,
    referenceMs: refMs,
    // forward + dx + dfilter is 3x the forward arithmetic
    kernelTrainGflops: (3 * flops) / trainMs / 1e6,
  });
}

async function models(backend, names, iters) {
  let registry;
  try {
    registry = await import('@tfvision/backbones');
  } catch (err) {
    emit({ kind: 'error', backend, message: `@tfvision/backbones failed to load: ${err.message}` });
    return;
  }
  if (typeof registry.createBackbone !== 'function') {
    emit({ kind: 'error', backend, message: '@tfvision/backbones has no createBackbone in this build (models skipped)' });
    return;
  }
  const { benchModel } = await import('../../packages/cli/dist/commands/model-bench.js');
  const runs = [
    { mode: 'infer', batch: 1 },
    { mode: 'infer', batch: 8 },
    { mode: 'train', batch: 8 },
  ];
  for (const name of names) {
    let model;
    try {
      model = registry.createBackbone(name);
    } catch (err) {
      emit({ kind: 'error', backend, name, message: err.message });
      continue;
    }
    for (const r of runs) {
      try {
        const res = await benchModel(name, model, { ...r, size: 224, iters, warmup: 1 });
        emit({ kind: 'model', ...res });
      } catch (err) {
        emit({ kind: 'error', backend, name, mode: r.mode, batch: r.batch, message: err.message.split('\n')[0] });
      }
    }
    model.dispose();
  }
}

const backend = option('backend', 'wasm');
const iters = Number(option('iters', '3'));
const names = (option('models', '') || '').split(',').filter(Boolean);
const parts = (option('parts', 'micro,models') || '').split(',');
let choice;
try {
  choice = await initBackend({ backend, report: false });
} catch (err) {
  emit({ kind: 'unavailable', backend, message: err.message });
  process.exit(0);
}
emit({ kind: 'backend', backend: choice.name, provider: choice.provider, native: choice.native ?? null });
if (parts.includes('micro')) await groupedMicro(choice.name, iters);
if (parts.includes('models') && names.length) await models(choice.name, names, iters);
