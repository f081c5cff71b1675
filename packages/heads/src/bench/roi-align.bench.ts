/**
 * RoIAlign forward + backward as Faster R-CNN's box head runs it: MultiScaleRoIAlign over the
 * four FPN levels ('0'..'3', strides 4..32) of one 800x1088 image, 1000 boxes, 256 channels,
 * 7x7 bins, sampling ratio 2. Boxes are seeded (sizes log-uniform 16..640 px, aspect 1:2..2:1,
 * so every level gets some) and written to a temporary file that torchvision's timing
 * (tools/bench_roi_align.py, /usr/bin/python3, same thread count) reads, in the same run.
 * One JSON line per backend (wasm, cpu): median milliseconds and torchvision time / ours.
 * Run: npx tsc -p packages/heads/tsconfig.build.json && node packages/heads/dist/bench/roi-align.bench.js
 *   (options: --repeats N --rois N --backends wasm,cpu)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, wantedWasmThreads } from '@tfvision/nn';
import { MultiScaleRoIAlign } from '../ops/multi-scale-roi-align.js';

const PYTHON = '/usr/bin/python3';
const HERE = dirname(fileURLToPath(import.meta.url));
const REFERENCE_SCRIPT = join(HERE, '..', '..', 'tools', 'bench_roi_align.py');
const IMAGE: [number, number] = [800, 1088];
const CHANNELS = 256;
const OUTPUT = 7;
const SAMPLING = 2;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

/** xorshift32 in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

function makeBoxes(count: number): number[][] {
  const next = rng(1000);
  const [h, w] = IMAGE;
  return Array.from({ length: count }, () => {
    const size = 16 * 40 ** next();
    const aspect = 2 ** (2 * next() - 1);
    const bw = size * Math.sqrt(aspect);
    const bh = size / Math.sqrt(aspect);
    const cx = next() * w;
    const cy = next() * h;
    return [Math.max(0, cx - bw / 2), Math.max(0, cy - bh / 2), Math.min(w, cx + bw / 2), Math.min(h, cy + bh / 2)].map(Math.fround);
  });
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const round1 = (v: number) => Math.round(v * 10) / 10;

interface Timing {
  forwardMs: number;
  forwardBackwardMs: number;
}

function timeOurs(boxList: number[][], repeats: number): Timing & { levels: number[] } {
  const next = rng(7);
  const features: Record<string, tf.Tensor4D> = {};
  for (let i = 0; i < 4; i++) {
    const shape: [number, number, number, number] = [1, IMAGE[0] >> (i + 2), IMAGE[1] >> (i + 2), CHANNELS];
    features[String(i)] = tf.tensor4d(Float32Array.from({ length: shape[1] * shape[2] * CHANNELS }, next), shape);
  }
  const names = Object.keys(features);
  const boxes = [tf.tensor2d(boxList)];
  const dy = tf.tensor4d(Float32Array.from({ length: boxList.length * OUTPUT * OUTPUT * CHANNELS }, next), [boxList.length, OUTPUT, OUTPUT, CHANNELS]);
  const pooler = new MultiScaleRoIAlign({ featmapNames: names, outputSize: OUTPUT, samplingRatio: SAMPLING });
  const forward: number[] = [];
  const both: number[] = [];
  for (let i = 0; i <= repeats; i++) {
    const t0 = performance.now();
    const out = pooler.forward(features, boxes, [IMAGE]);
    out.dataSync();
    const t1 = performance.now();
    // dy seeds the backward pass, as torchvision's out.backward(dy).
    const grads = tf.grads((...fs: tf.Tensor[]) => pooler.forward(Object.fromEntries(names.map((n, j) => [n, fs[j] as tf.Tensor4D])), boxes, [IMAGE]))(
      names.map((n) => features[n]),
      dy,
    );
    grads.forEach((g) => g.dataSync());
    const t2 = performance.now();
    tf.dispose([out, ...grads]);
    if (i > 0) {
      forward.push(t1 - t0);
      // tf.grads runs the forward again, then the backward: forward + backward.
      both.push(t2 - t1);
    }
  }
  const levels = [0, 0, 0, 0];
  pooler.mapper?.levels(boxList.flat()).forEach((l) => levels[l]++);
  tf.dispose([...Object.values(features), ...boxes, dy]);
  return { forwardMs: median(forward), forwardBackwardMs: median(both), levels };
}

function timeTorchvision(boxes: number[][], repeats: number, threads: number, dir: string): (Timing & { torch: string; threads: number }) | string {
  if (!existsSync(PYTHON)) return `skipped: ${PYTHON} not found`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
  if (probe.status !== 0) return 'skipped: torchvision not importable';
  const spec = join(dir, 'spec.json');
  writeFileSync(spec, JSON.stringify({ boxes, imageSize: IMAGE, channels: CHANNELS, outputSize: OUTPUT, samplingRatio: SAMPLING, repeats, threads }));
  const run = spawnSync(PYTHON, [REFERENCE_SCRIPT, spec], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (run.status !== 0) throw new Error(`bench_roi_align.py failed:\n${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as Timing & { torch: string; threads: number };
}

const repeats = Number(arg('repeats', '5'));
const boxList = makeBoxes(Number(arg('rois', '1000')));
const backends = arg('backends', 'wasm,cpu').split(',');
const threads = wantedWasmThreads();
const dir = mkdtempSync(join(tmpdir(), 'tfvision-roi-align-bench-'));
try {
  const reference = timeTorchvision(boxList, repeats, threads, dir);
  for (const backend of backends) {
    await initBackend({ backend, report: false });
    const ours = timeOurs(boxList, repeats);
    const ratios =
      typeof reference === 'string'
        ? { torchvision: reference }
        : {
            torchvision: { forwardMs: round1(reference.forwardMs), forwardBackwardMs: round1(reference.forwardBackwardMs), torch: reference.torch, threads: reference.threads },
            // torchvision time / ours: >= 1 means ours is at least as fast.
            ratioForward: Math.round((reference.forwardMs / ours.forwardMs) * 100) / 100,
            ratioForwardBackward: Math.round((reference.forwardBackwardMs / ours.forwardBackwardMs) * 100) / 100,
          };
    console.log(
      JSON.stringify({
        bench: 'roi-align-fwd-bwd',
        backend,
        rois: boxList.length,
        channels: CHANNELS,
        outputSize: OUTPUT,
        samplingRatio: SAMPLING,
        image: IMAGE,
        roisPerLevel: ours.levels,
        threads,
        ours: { forwardMs: round1(ours.forwardMs), forwardBackwardMs: round1(ours.forwardBackwardMs) },
        ...ratios,
        node: process.version,
        cpus: cpus().length,
        date: new Date().toISOString().slice(0, 10),
      }),
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
