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
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { wantedWasmThreads } from '@tfvision/nn';
import { createSegmenter } from '../segmenters/registry.js';
import { fillHashWeights, hashUniform } from '../testing/hash-weights.js';
import { backendFields, forEachBackend, listOption, machineFields, median, option, positiveIntOption, rateRatio, referenceFor, round1, round3, runReference, type ReferenceRow } from './bench-common.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REFERENCE_SCRIPT = join(HERE, '..', '..', 'tools', 'bench_segmenter.py');
const DEFAULT_MODELS = ['deeplabv3_resnet50', 'deeplabv3plus_resnest50d'];

interface Reference extends ReferenceRow {
  imagesPerSecond?: number;
  medianMs?: number;
  reference?: string;
  torch?: string;
  threads?: number;
}

/** NHWC [1, size, size, 3] from hash_uniform('input.1xHxW') in NCHW order, as deeplab.py's image(). */
function hashImage(size: number): tf.Tensor4D {
  const data = Float32Array.from(hashUniform(`input.1x${size}x${size}`, 3 * size * size));
  return tf.tidy(() => tf.transpose(tf.tensor4d(data, [1, 3, size, size]), [0, 2, 3, 1]));
}

async function main(): Promise<void> {
  const argv = process.argv;
  const models = listOption(argv, 'models', DEFAULT_MODELS);
  const repeats = positiveIntOption(argv, 'repeats', 3, 'segmenter.bench');
  const size = Number(option(argv, 'size', '512'));
  if (!Number.isInteger(size) || size < 16 || size % 16 !== 0) throw new Error(`segmenter.bench: --size must be a multiple of 16 (DeepLabV3+'s rule), got ${size}`);
  const threads = wantedWasmThreads();
  const reference = argv.includes('--no-torch') ? 'skipped: --no-torch' : runReference<Reference>({ script: REFERENCE_SCRIPT, spec: { models, size: [size, size], repeats, threads }, probe: 'import torch, torchvision' });
  await forEachBackend('segmenter', listOption(argv, 'backends', ['wasm']), async (choice) => {
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
      const theirs = referenceFor(reference, name, 'bench_segmenter.py');
      const oursIps = 1000 / ms;
      console.log(
        JSON.stringify({
          bench: 'segmenter',
          name,
          ...backendFields(choice),
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
          ratio: rateRatio(oursIps, theirs),
          ...machineFields(),
        }),
      );
    }
    image.dispose();
  });
}

await main();
