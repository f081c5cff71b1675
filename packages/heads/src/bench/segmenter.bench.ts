/**
 * Segmenter inference at 512x512, batch 1 (issue #16): deeplabv3_resnet50 (torchvision's) and
 * deeplabv3plus_resnest50d (smp's DeepLabV3Plus over tu-resnest50d) against PyTorch CPU
 * (tools/bench_segmenter.py, /usr/bin/python3, same thread count) in the same run, on the same
 * image and the same weights: the hash rule of src/testing/hash-weights.ts under the models' own
 * names, which are the references' (tools/reference/deeplab.py fills theirs with it), and the
 * image hash_uniform('input.1x512x512'), as the equivalence fixtures' inputs are made. Both sides
 * compute the auxiliary head of deeplabv3_resnet50 (aux_loss=True, as its published checkpoints).
 * Per model and backend, one JSON line: images/s from the median of --repeats forward calls after
 * one warm-up (which also folds BatchNorm into the convolutions, a cache that stays), PyTorch's
 * figure and ratio = ours / PyTorch images per second (the issue's target is >= 0.5).
 * Run: npx tsc -p packages/heads/tsconfig.build.json && node packages/heads/dist/bench/segmenter.bench.js
 *   (options: --models a,b --repeats N --backends wasm --size 512 --no-torch)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, wantedWasmThreads, type BackendChoice } from '@tfvision/nn';
import { createSegmenter } from '../segmenters/registry.js';
import { fillHashWeights, hashUniform } from '../testing/hash-weights.js';

const PYTHON = '/usr/bin/python3';
const HERE = dirname(fileURLToPath(import.meta.url));
const REFERENCE_SCRIPT = join(HERE, '..', '..', 'tools', 'bench_segmenter.py');
const DEFAULT_MODELS = ['deeplabv3_resnet50', 'deeplabv3plus_resnest50d'];

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const median = (v: readonly number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round1 = (v: number) => Math.round(v * 10) / 10;
const round3 = (v: number) => Math.round(v * 1000) / 1000;

interface Reference {
  name: string;
  imagesPerSecond?: number;
  medianMs?: number;
  reference?: string;
  torch?: string;
  threads?: number;
  error?: string;
}

function pytorchFigures(models: readonly string[], size: number, repeats: number, threads: number): Map<string, Reference> | string {
  if (!existsSync(PYTHON)) return `skipped: ${PYTHON} not found`;
  if (spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status !== 0) return 'skipped: torchvision not importable';
  const dir = mkdtempSync(join(tmpdir(), 'tfvision-segmenter-bench-'));
  try {
    const spec = join(dir, 'spec.json');
    writeFileSync(spec, JSON.stringify({ models, size: [size, size], repeats, threads }));
    const run = spawnSync(PYTHON, [REFERENCE_SCRIPT, spec], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (run.status !== 0) return `failed: ${(run.stderr || '').trim().split('\n').slice(-1)[0]}`;
    const out = new Map<string, Reference>();
    for (const line of run.stdout.split('\n')) if (line.startsWith('{')) {
      const r = JSON.parse(line) as Reference;
      out.set(r.name, r);
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** NHWC [1, size, size, 3] from hash_uniform('input.1xHxW') in NCHW order, as deeplab.py's image(). */
function hashImage(size: number): tf.Tensor4D {
  const data = Float32Array.from(hashUniform(`input.1x${size}x${size}`, 3 * size * size));
  return tf.tidy(() => tf.transpose(tf.tensor4d(data, [1, 3, size, size]), [0, 2, 3, 1]));
}

async function main(): Promise<void> {
  const models = arg('models', DEFAULT_MODELS.join(',')).split(',').filter(Boolean);
  const repeats = Number(arg('repeats', '3'));
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`segmenter.bench: --repeats must be a positive integer, got ${repeats}`);
  const size = Number(arg('size', '512'));
  if (!Number.isInteger(size) || size < 16 || size % 16 !== 0) throw new Error(`segmenter.bench: --size must be a multiple of 16 (DeepLabV3+'s rule), got ${size}`);
  const backends = arg('backends', 'wasm').split(',').filter(Boolean);
  const threads = wantedWasmThreads();
  const reference = process.argv.includes('--no-torch') ? 'skipped: --no-torch' : pytorchFigures(models, size, repeats, threads);
  for (const backend of backends) {
    let choice: BackendChoice;
    try {
      choice = await initBackend({ backend, report: false });
    } catch (err) {
      console.log(JSON.stringify({ bench: 'segmenter', backend, unavailable: (err as Error).message }));
      continue;
    }
    const image = hashImage(size);
    for (const name of models) {
      const model = createSegmenter(name);
      fillHashWeights(model);
      model.eval();
      const once = async () => {
        const t0 = performance.now();
        const out = model.forward(image);
        await out.out.data();
        tf.dispose([out.out, ...(out.aux ? [out.aux] : [])]);
        return performance.now() - t0;
      };
      const warmMs = await once();
      const before = tf.memory().numTensors;
      const times: number[] = [];
      for (let i = 0; i < repeats; i++) times.push(await once());
      const leakedTensors = tf.memory().numTensors - before;
      model.dispose();
      const ms = median(times);
      const ref = typeof reference === 'string' ? reference : (reference.get(name) ?? { name, error: 'missing from bench_segmenter.py output' });
      const theirs = typeof ref === 'string' ? ref : ref.error ? ref.error : ref;
      const oursIps = 1000 / ms;
      console.log(
        JSON.stringify({
          bench: 'segmenter',
          name,
          backend: choice.name,
          provider: choice.provider,
          native: choice.native?.detail ?? 'n/a',
          image: [size, size],
          batch: 1,
          threads,
          repeats,
          imagesPerSecond: round3(oursIps),
          medianMs: round1(ms),
          warmupMs: round1(warmMs),
          leakedTensors,
          pytorch: theirs,
          // ours / PyTorch images per second: the target is >= 0.5.
          ratio: typeof theirs === 'string' || theirs.imagesPerSecond === undefined ? undefined : round3(oursIps / theirs.imagesPerSecond),
          loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
          node: process.version,
          cpus: cpus().length,
          date: new Date().toISOString(),
        }),
      );
    }
    image.dispose();
  }
}

await main();
