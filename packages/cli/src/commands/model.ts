import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, readNpy, readSafetensors, writeNpy, type HostTensor } from '@tfvision/nn';
import { countMacs, countParameters, createBackbone, getModelEntry, loadCheckpoint, type CheckpointFormat } from '@tfvision/backbones';
import { parseArgs, requiredFlag, stringFlag } from '../args.js';
import { UsageError, type Command } from '../command.js';
import { checkModelName, checkOutputFolder } from '../checks.js';
import { MODEL_BENCH_HELP, runModelBench } from './model-bench.js';
import { detectorInfo } from './model-info-detector.js';
import { MODEL_EXPORT_HELP, runModelExport } from './model-export.js';
import { registryRows, resolveModelKind } from './model-registry.js';

const HELP = `Usage:
  tfvision model list [--family F] [--json]
  tfvision model info NAME [--size S | --size HxW] [--backend B] [--json]
  tfvision model forward NAME --weights W.safetensors --input X.npy --output Y.npy
                         [--from timm|torchvision] [--backend B]
  tfvision model bench NAME [--batch B] [--mode infer|train] [--size 224] [--backend B] [--json]
  tfvision model export NAME --out W.safetensors [--init formula|SEED] [--layout timm|torchvision]

list     the registered models: backbones (name, family, trainable parameters: timm's counts)
         and detectors (family "detector", all weights frozen or not, no running statistics:
         torchvision's counts); --family F keeps one family (resnest, ..., detector)
info     parameters, multiply-accumulates of one forward pass at the default input size (or
         --size), input size, crop pct, interpolation, mean/std, feature channels and strides.
         A detector: all weights, MACs at a padded 800x1088 image (or --size) with the box
         branch at the test-time post-NMS proposal count (1000) and the mask branch at the
         detection count (100): every conv, transposed conv and linear layer of the backbone,
         FPN, RPN head and RoI heads (fvcore's rule; no norms, pools, RoIAlign or NMS); the FPN
         levels p2..p6 as featureChannels/featureStrides
forward  loads a timm or torchvision checkpoint (PyTorch names and layouts; the naming is
         detected unless --from is given), runs the model in eval mode on X (float32 NHWC,
         already normalised) and writes the logits (float32 [N, classes]) to Y. The class count
         and input channels follow the checkpoint and X.
bench    throughput (below)
export   writes a checkpoint with formula or seeded weights, for forward (below)

${MODEL_BENCH_HELP}

${MODEL_EXPORT_HELP}`;


function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  return String(n);
}

async function list(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['family'], booleans: ['json'] }, 'model list');
  if (args.positional.length) throw new UsageError(`model list: unexpected argument "${args.positional[0]}"`);
  const family = stringFlag(args, 'family');
  const all = await registryRows();
  const entries = all.filter((m) => family === undefined || m.family === family);
  if (family !== undefined && entries.length === 0) {
    throw new UsageError(`model list: no models of family "${family}" (families: ${[...new Set(all.map((m) => m.family))].join(', ')})`);
  }
  if (args.flags.has('json')) {
    process.stdout.write(`${JSON.stringify(entries.map((m) => ({ name: m.name, family: m.family, params: m.params })))}\n`);
    return 0;
  }
  const w = Math.max(...entries.map((m) => m.name.length));
  const rows = entries.map((m) => `${m.name.padEnd(w)}  ${m.family.padEnd(12)}  ${formatCount(m.params).padStart(8)}  ${m.details}`);
  process.stdout.write(`${['name'.padEnd(w) + '  family        params    details', ...rows].join('\n')}\n`);
  return 0;
}

async function info(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['size', 'backend'], booleans: ['json'] }, 'model info');
  const [name, ...extra] = args.positional;
  if (!name) throw new UsageError('model info: NAME is required (see `tfvision model list`)');
  if (extra.length) throw new UsageError(`model info: unexpected argument "${extra[0]}"`);
  if ((await resolveModelKind(name, 'model info')) === 'detector') return detectorInfo(name, args);
  const entry = getModelEntry(name);
  const size = stringFlag(args, 'size');
  const [, defH, defW] = entry.defaultCfg.inputSize;
  const [h, w] = size === undefined ? [defH, defW] : [Number(size), Number(size)];
  if (!Number.isInteger(h) || h < 8) throw new UsageError(`model info: --size must be an integer >= 8, got "${size}"`);
  await initBackend({ backend: stringFlag(args, 'backend'), report: false });
  const model = createBackbone(name);
  try {
    const params = countParameters(model);
    const { macs } = countMacs(model, h, w);
    const c = model.pretrainedCfg;
    const out = {
      name,
      family: entry.family,
      params,
      macs,
      inputSize: [c.inputSize[0], h, w],
      cropPct: c.cropPct,
      interpolation: c.interpolation,
      mean: c.mean,
      std: c.std,
      // The fixed CLI contract (DESIGN.md): channels and strides of every level c1..c5, as
      // timm's feature_info lists them; `features` adds the level and module names.
      featureChannels: model.featureInfo.map((f) => f.channels),
      featureStrides: model.featureInfo.map((f) => f.stride),
      features: model.featureInfo,
    };
    if (args.flags.has('json')) {
      process.stdout.write(`${JSON.stringify(out)}\n`);
    } else {
      process.stdout.write(
        [
          `${name} (${entry.family})`,
          `  parameters      ${params.toLocaleString('en-US')}`,
          `  MACs            ${formatCount(macs)} at ${h}x${w}`,
          `  input           ${c.inputSize[0]}x${h}x${w}, crop ${c.cropPct}, ${c.interpolation}`,
          `  mean / std      [${c.mean.join(', ')}] / [${c.std.join(', ')}]`,
          `  features        ${out.features.map((f) => `${f.level} ${f.channels} ch /${f.stride}`).join(', ')}`,
          '',
        ].join('\n'),
      );
    }
    return 0;
  } finally {
    model.dispose();
  }
}

function checkInput(x: HostTensor, path: string): void {
  if (x.shape.length !== 4) throw new Error(`${path}: expected a 4-D NHWC array, got shape [${x.shape.join(', ')}]`);
  if (x.dtype !== 'F32' && x.dtype !== 'F64') throw new Error(`${path}: expected float32 (or float64), got ${x.dtype}`);
  const c = x.shape[3];
  if (c > 4 && x.shape[1] <= 4) throw new Error(`${path}: shape [${x.shape.join(', ')}] looks like NCHW; tfvision takes NHWC (transpose with x.transpose(0, 2, 3, 1))`);
}

async function forward(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['weights', 'input', 'output', 'from', 'backend'], booleans: [] }, 'model forward');
  const [name, ...extra] = args.positional;
  if (!name) throw new UsageError('model forward: NAME is required (see `tfvision model list`)');
  if (extra.length) throw new UsageError(`model forward: unexpected argument "${extra[0]}"`);
  const weights = requiredFlag(args, 'weights', 'model forward');
  const inputPath = requiredFlag(args, 'input', 'model forward');
  const outputPath = requiredFlag(args, 'output', 'model forward');
  const from = stringFlag(args, 'from');
  if (from !== undefined && from !== 'timm' && from !== 'torchvision') throw new UsageError(`model forward: --from must be timm or torchvision, got "${from}"`);
  for (const p of [weights, inputPath]) if (!existsSync(p)) throw new Error(`${p}: no such file`);
  await checkModelName(name, 'model forward');
  checkOutputFolder(outputPath, 'output', 'model forward');
  const entry = getModelEntry(name);

  const x = readNpy(inputPath);
  checkInput(x, inputPath);
  const ckpt = readSafetensors(weights).tensors;
  // The class count comes from the checkpoint's classifier (a fine-tuned 10-class model loads as such).
  const classifier = [...ckpt.entries()].find(([k]) => k === `${entry.defaultCfg.classifier}.weight` || k.endsWith(`.${entry.defaultCfg.classifier}.weight`) || k === 'classifier.1.weight');
  // Without one (another architecture's file, or a headless one) the strict load below lists
  // the missing and unexpected keys, which says more than "no classifier".
  const numClasses = classifier ? classifier[1].shape[0] : 1000;

  await initBackend({ backend: stringFlag(args, 'backend'), report: false });
  const model = createBackbone(name, { numClasses, inChans: x.shape[3] });
  try {
    const result = loadCheckpoint(model, name, ckpt, { from: from as CheckpointFormat | undefined, classifier: 'keep', source: weights });
    for (const note of result.notes) process.stderr.write(`tfvision model forward: ${note}\n`);
    model.eval();
    const input = tf.tensor4d(Float32Array.from(x.data as ArrayLike<number>), x.shape as [number, number, number, number]);
    const logits = model.forward(input);
    const values = (await logits.data()) as Float32Array;
    writeNpy(outputPath, { dtype: 'F32', shape: [...logits.shape], data: Float32Array.from(values) });
    tf.dispose([input, logits]);
    process.stderr.write(`tfvision model forward: ${name} (${result.format} names, ${result.loaded.length} tensors) → ${outputPath} [${logits.shape.join(', ')}]\n`);
    return 0;
  } finally {
    model.dispose();
  }
}

export const modelCommand: Command = {
  name: 'model',
  summary: 'list, inspect, run and benchmark registered models (backbones, detectors)',
  help: HELP,
  async run(argv: string[]): Promise<number> {
    const [sub, ...rest] = argv;
    if (sub === 'list') return await list(rest);
    if (sub === 'info') return info(rest);
    if (sub === 'forward') return forward(rest);
    if (sub === 'bench') return runModelBench(rest);
    if (sub === 'export') return runModelExport(rest);
    throw new UsageError(sub === undefined ? 'a subcommand is required: list, info, forward, bench or export' : `unknown subcommand "${sub}" (list, info, forward, bench, export)`);
  },
};
