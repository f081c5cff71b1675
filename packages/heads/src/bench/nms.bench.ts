/**
 * Batched NMS throughput: 5000 detector-like boxes over 80 classes (src/bench/synthetic-detections.ts,
 * overlapping clusters, tied scores, some zero-width and border-crossing boxes), IoU 0.5, which is
 * torchvision's per-class CPU path (numel > 4000). Ours is timed on tensors (batchedNms: read to
 * the host, NMS, int32 result) and on host arrays (batchedNmsIndices); torchvision 0.14's
 * batched_nms is timed on one CPU thread by tools/bench_nms.py in the same run on the same inputs
 * (regenerated from the seed), and the keep lists are compared. Ratio = torchvision time / ours
 * (>= 1 means we are at least as fast) from the medians, ratioMin from the fastest calls. One JSON line.
 * Run: npx tsc -p packages/heads/tsconfig.build.json && node packages/heads/dist/bench/nms.bench.js
 *      (options: --n 5000 --classes 80 --iou 0.5 --repeats 50 --seed 2017)
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { batchedNms, batchedNmsIndices } from '../ops/batched-nms.js';
import { syntheticDetections } from './synthetic-detections.js';

const PYTHON = '/usr/bin/python3';
const HERE = dirname(fileURLToPath(import.meta.url));
const REFERENCE_SCRIPT = join(HERE, '..', '..', 'tools', 'bench_nms.py');

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : fallback;
}

interface Reference {
  seconds: number;
  minSeconds: number;
  keep: number[];
  boxesChecksum: number;
  threads: number;
  torch: string;
}

/** Median and minimum seconds of `repeats` calls after 5 warm-up calls. */
function time(repeats: number, body: () => void): { seconds: number; minSeconds: number } {
  for (let i = 0; i < 5; i++) body();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    body();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return { seconds: times[times.length >> 1], minSeconds: times[0] };
}

function torchvisionAvailable(): boolean {
  return existsSync(PYTHON) && existsSync(REFERENCE_SCRIPT) && spawnSync(PYTHON, ['-c', 'import torchvision'], { stdio: 'ignore' }).status === 0;
}

async function main(): Promise<void> {
  const n = arg('n', 5000);
  const classes = arg('classes', 80);
  const iou = arg('iou', 0.5);
  const repeats = arg('repeats', 50);
  const seed = arg('seed', 2017);
  await tf.setBackend('cpu');
  const d = syntheticDetections(seed, n, classes);
  const boxes = tf.tensor2d(d.boxes, [n, 4]);
  const scores = tf.tensor1d(d.scores);
  const idxs = tf.tensor1d(d.classes, 'int32');
  let keep: Int32Array = new Int32Array(0);
  const host = time(repeats, () => {
    keep = batchedNmsIndices(d.boxes, d.scores, d.classes, iou);
  });
  const tensor = time(repeats, () => {
    tf.dispose(batchedNms(boxes, scores, idxs, iou));
  });
  tf.dispose([boxes, scores, idxs]);
  const round = (v: number) => Math.round(v * 1e6) / 1e6;
  const r3 = (v: number) => Math.round(v * 1000) / 1000;
  let reference: Record<string, unknown> = { torchvision: 'skipped: not importable' };
  if (torchvisionAvailable()) {
    const py = spawnSync(PYTHON, [REFERENCE_SCRIPT, '--seed', String(seed), '--n', String(n), '--classes', String(classes), '--iou', String(iou), '--repeats', String(repeats)], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    if (py.status !== 0) throw new Error(`bench_nms.py failed:\n${py.stderr}`);
    const ref = JSON.parse(py.stdout.trim().split('\n').pop() ?? '') as Reference;
    reference = {
      torchvision: { seconds: round(ref.seconds), minSeconds: round(ref.minSeconds), threads: ref.threads, torch: ref.torch },
      keepEqual: ref.keep.length === keep.length && ref.keep.every((v, i) => v === keep[i]),
      // torchvision time / ours: >= 1 means ours is at least as fast.
      ratio: r3(ref.seconds / tensor.seconds),
      ratioHost: r3(ref.seconds / host.seconds),
      // The same from the fastest call of each, steadier on a shared machine.
      ratioMin: r3(ref.minSeconds / tensor.minSeconds),
    };
  }
  console.log(
    JSON.stringify({
      bench: 'batched-nms',
      boxes: n,
      classes,
      iouThreshold: iou,
      kept: keep.length,
      path: 4 * n > 4000 ? 'per-class' : 'coordinate-trick',
      ours: { seconds: round(tensor.seconds), minSeconds: round(tensor.minSeconds), hostSeconds: round(host.seconds), hostMinSeconds: round(host.minSeconds), backend: 'cpu' },
      ...reference,
      node: process.version,
      cpus: cpus().length,
      date: new Date().toISOString().slice(0, 10),
    }),
  );
}

await main();
