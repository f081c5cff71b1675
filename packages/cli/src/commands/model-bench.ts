import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy, initBackend } from '@tfvision/nn';
import { UsageError } from '../command.js';
import { checkModelName } from '../checks.js';
import { numberFlag, parseArgs, stringFlag } from '../args.js';
import { countStepKernels, formatKernelCounts } from './kernel-count.js';

export const MODEL_BENCH_HELP = `Usage: tfvision model bench NAME [--batch B] [--mode infer|train] [--size 224]
                            [--backend X] [--iters N] [--warmup N]
                            [--grad-checkpointing auto|on|off] [--count-kernels] [--json]

Times a registered backbone on random input. infer: one forward pass; train: forward,
softmax cross-entropy loss, backward and an SGD step (BatchNorm in training mode).
Reports the median over N timed iterations (default 5) after warm-up ones (default 1).
--grad-checkpointing: recompute each block's activations in the backward pass (train mode);
auto (default) turns it on for training on wasm, whose 4 GB heap does not hold a 224x224
ResNet-50 step at batch 8 otherwise.
--count-kernels: instead of timing, counts the kernels (tf.profile) of one inference forward
and one training step (forward, loss, backward, tfvision's SGD) at --batch and --size; --json
prints {"name","backend","batch","size","infer","train","optimizer"}, each with dispatches,
leaves, invocations and byName.
--json prints {"name","backend","batch","mode","imagesPerSecond"} (plus size, iters,
medianMs, gradCheckpointing).`;

/** What bench needs of a model: a Module with a logits forward. */
export interface BenchableModel {
  forward(x: tf.Tensor4D): tf.Tensor;
  trainableParameters(): tf.Variable[];
  train(mode?: boolean): unknown;
  dispose(): void;
  setGradCheckpointing?(enable: boolean): unknown;
}

export type BenchMode = 'infer' | 'train';

export interface BenchOptions {
  batch: number;
  mode: BenchMode;
  size: number;
  iters: number;
  warmup: number;
  /** Gradient checkpointing for train mode; default: on for wasm (see the help text). */
  gradCheckpointing?: boolean;
}

export interface BenchResult {
  name: string;
  backend: string;
  batch: number;
  mode: BenchMode;
  imagesPerSecond: number;
  size: number;
  iters: number;
  medianMs: number;
  gradCheckpointing: boolean;
}

/** The `auto` rule: training on wasm checkpoints, since its heap is capped at 4 GB. */
export function defaultGradCheckpointing(backend: string, mode: BenchMode): boolean {
  return mode === 'train' && backend === 'wasm';
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Times `model` and returns images per second. Each iteration ends by reading a value back,
 * so asynchronous backends (webgpu) are timed to completion.
 */
export async function benchModel(name: string, model: BenchableModel, o: BenchOptions): Promise<BenchResult> {
  const x = tf.randomNormal([o.batch, o.size, o.size, 3]) as tf.Tensor4D;
  const optimizer = tf.train.sgd(0.01);
  let labels: Int32Array | undefined;
  const step = async (): Promise<void> => {
    if (o.mode === 'infer') {
      const y = tf.tidy(() => model.forward(x));
      await y.data();
      y.dispose();
      return;
    }
    // minimize runs in its own tidy and hands back only the cost.
    const cost = optimizer.minimize(
      () => {
        const logits = model.forward(x) as tf.Tensor2D;
        const classes = logits.shape[1];
        labels ??= Int32Array.from({ length: o.batch }, (_, i) => i % classes);
        return crossEntropy(logits, labels);
      },
      true,
      model.trainableParameters(),
    );
    await cost?.data();
    cost?.dispose();
  };
  model.train(o.mode === 'train');
  // auto applies only to models that can checkpoint; asking for it explicitly requires it.
  const gradCheckpointing = o.mode === 'train' && (o.gradCheckpointing ?? (defaultGradCheckpointing(tf.getBackend(), o.mode) && model.setGradCheckpointing !== undefined));
  if (o.mode === 'train') {
    if (gradCheckpointing && !model.setGradCheckpointing) throw new Error(`model bench: ${name} does not support gradient checkpointing`);
    model.setGradCheckpointing?.(gradCheckpointing);
  }
  try {
    for (let i = 0; i < o.warmup; i++) await step();
    const times: number[] = [];
    for (let i = 0; i < o.iters; i++) {
      const t0 = performance.now();
      await step();
      times.push(performance.now() - t0);
    }
    const medianMs = median(times);
    return { name, backend: tf.getBackend(), batch: o.batch, mode: o.mode, imagesPerSecond: (o.batch * 1000) / medianMs, size: o.size, iters: o.iters, medianMs, gradCheckpointing };
  } finally {
    x.dispose();
    optimizer.dispose();
  }
}

interface BackboneRegistry {
  createBackbone(name: string, options?: Record<string, unknown>): BenchableModel;
}

async function loadRegistry(): Promise<BackboneRegistry> {
  const mod = (await import('@tfvision/backbones')) as Partial<BackboneRegistry>;
  if (typeof mod.createBackbone !== 'function') throw new Error('@tfvision/backbones has no createBackbone in this build');
  return mod as BackboneRegistry;
}

function positiveInt(value: number, flag: string): number {
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`model bench: --${flag} must be a positive integer, got ${value}`);
  return value;
}

/** `tfvision model bench ...`; returns the exit code. */
export async function runModelBench(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['batch', 'mode', 'size', 'backend', 'iters', 'warmup', 'grad-checkpointing'], booleans: ['json', 'count-kernels'] }, 'model bench');
  const [name, ...extra] = args.positional;
  if (!name) throw new UsageError('model bench: NAME is required (see `tfvision model list`)');
  if (extra.length) throw new UsageError(`model bench: unexpected argument "${extra[0]}"`);
  const mode = stringFlag(args, 'mode') ?? 'infer';
  if (mode !== 'infer' && mode !== 'train') throw new UsageError(`model bench: --mode must be infer or train, got "${mode}"`);
  const ckpt = stringFlag(args, 'grad-checkpointing') ?? 'auto';
  if (ckpt !== 'auto' && ckpt !== 'on' && ckpt !== 'off') throw new UsageError(`model bench: --grad-checkpointing must be auto, on or off, got "${ckpt}"`);
  const options: BenchOptions = {
    batch: positiveInt(numberFlag(args, 'batch', 'model bench', 1), 'batch'),
    mode,
    size: positiveInt(numberFlag(args, 'size', 'model bench', 224), 'size'),
    iters: positiveInt(numberFlag(args, 'iters', 'model bench', 5), 'iters'),
    warmup: Math.max(0, Math.floor(numberFlag(args, 'warmup', 'model bench', 1))),
    gradCheckpointing: ckpt === 'auto' ? undefined : ckpt === 'on',
  };
  await checkModelName(name, 'model bench');
  const choice = await initBackend({ backend: stringFlag(args, 'backend'), report: !args.flags.has('json') });
  const registry = await loadRegistry();
  const model = registry.createBackbone(name);
  try {
    if (args.flags.has('count-kernels')) {
      const counts = await countStepKernels(model as unknown as Parameters<typeof countStepKernels>[0], options.batch, options.size);
      const backend = tf.getBackend();
      process.stdout.write(args.flags.has('json') ? `${JSON.stringify({ name, backend, batch: options.batch, size: options.size, ...counts })}\n` : `${formatKernelCounts(name, backend, options.batch, options.size, counts)}\n`);
      return 0;
    }
    const result = await benchModel(name, model, options);
    if (args.flags.has('json')) {
      process.stdout.write(`${JSON.stringify({ ...result, provider: choice.provider })}\n`);
    } else {
      process.stdout.write(
        `${name} ${result.backend} ${mode} batch ${options.batch} @${options.size}: ${result.imagesPerSecond.toFixed(2)} images/s (median ${result.medianMs.toFixed(0)} ms of ${options.iters} after ${options.warmup} warm-up${result.gradCheckpointing ? ', gradient checkpointing' : ''})\n`,
      );
    }
    return 0;
  } finally {
    model.dispose();
  }
}
