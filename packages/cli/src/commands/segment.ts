/**
 * `tfvision segment`: a registered segmenter in eval mode on a .npy batch (the fixed contract of
 * DESIGN.md: normalised NHWC in, torchvision's `out` logits at the input size out) or on image
 * files and folders (class-index PNGs, colour overlays).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, writeNpy } from '@tfvision/nn';
import { parseArgs, positiveIntegerFlag, splitImagesFlag, stringFlag, type ParsedArgs } from '../args.js';
import { UsageError, type Command } from '../command.js';
import { checkBackendName, checkNotDirectory, checkOutputFolder } from '../checks.js';
import { listImageFiles, progress, readSegmentNpy, writeClassPng, writeOverlay } from './segment-io.js';
import { checkSegmenterName, loadSegmenter, segmentImage, type LoadedSegmenter } from './segment-model.js';

const HELP = `Usage:
  tfvision segment NAME --weights W.safetensors --input X.npy --output Y.npy [--batch B] [--backend B]
  tfvision segment NAME --weights W.safetensors [--images] PATH... [--out-dir DIR] [--draw DIR]
                   [--draw-alpha 0.5] [--backend B]

Runs a registered segmenter (\`tfvision model list --family segmenter\`: deeplabv3_B follows
torchvision, deeplabv3plus_B segmentation_models.pytorch) in eval mode.

  --weights W      the checkpoint in the preset's layout: torchvision's backbone.*, classifier.*,
                   aux_classifier.* (deeplabv3_*) or smp's encoder.*, decoder.*,
                   segmentation_head.* (deeplabv3plus_*); what exportSegmenterCheckpoint writes.
                   The class count (and the auxiliary head) follow the file; loaded strictly:
                   missing or unexpected keys are an error naming them
  --backend B      cpu, wasm, webgpu, tensorflow (default: the first that starts)

One .npy batch (the fixed contract):
  --input X.npy    float32 [H, W, 3] or [N, H, W, 3], already normalised (for DeepLabV3+ the
                   sides must be multiples of 16, as smp requires)
  --output Y.npy   float32 [N, H, W, classes]: the logits at the input size (torchvision's "out")
  --batch B        images per forward pass (default 1; eval-mode results do not depend on it)

Image files (JPEG, PNG, WebP, TIFF; decoded with sharp) and folders of them (sorted by name),
after NAME or after --images. Each is scaled to [0, 1], normalised with the preset's mean/std
(ImageNet's for every backbone of the zoo), zero-padded at the bottom and right to the model's
side multiple (16 for DeepLabV3+) and the logits cropped back:
  --out-dir DIR    writes DIR/<image name>.png: 8-bit greyscale, the value is the class index
                   (argmax of the logits), the size of the image; what \`tfvision eval seg\` reads
  --draw DIR       writes DIR/<image name>.png: the image with each class > 0 blended in PASCAL
                   VOC's palette colour (class 0, background, left as it is)
  --draw-alpha A   the overlay's opacity in [0, 1] (default 0.5)
Progress (images/s, ETA) goes to stderr.`;

const VALUES = ['weights', 'input', 'output', 'batch', 'backend', 'out-dir', 'draw', 'draw-alpha'];


function disposeOutput(o: { out: tf.Tensor; aux?: tf.Tensor }): void {
  tf.dispose([o.out, ...(o.aux ? [o.aux] : [])]);
}

async function runNpy(name: string, args: ParsedArgs, weights: string): Promise<number> {
  const input = stringFlag(args, 'input') as string;
  const output = stringFlag(args, 'output');
  if (output === undefined) throw new UsageError('segment: --output Y.npy is required with --input');
  for (const flag of ['out-dir', 'draw', 'draw-alpha']) if (args.flags.has(flag)) throw new UsageError(`segment: --${flag} is for image files, not --input X.npy`);
  const batch = positiveIntegerFlag(args, 'batch', 'segment') ?? 1;
  if (!existsSync(input)) throw new Error(`${input}: no such file`);
  checkNotDirectory(input, 'input', 'segment', 'a .npy file');
  checkOutputFolder(output, 'output', 'segment');
  const x = readSegmentNpy(input);
  const [n, h, w] = x.shape;

  await initBackend({ backend: stringFlag(args, 'backend'), report: false });
  const s = await loadSegmenter(name, weights);
  try {
    for (const note of s.notes) process.stderr.write(`tfvision segment: ${note}\n`);
    const classes = s.model.numClasses;
    const y = new Float32Array(n * h * w * classes);
    const plane = h * w * 3;
    for (let start = 0; start < n; start += batch) {
      const count = Math.min(batch, n - start);
      const t = tf.tensor4d(x.data.subarray(start * plane, (start + count) * plane), [count, h, w, 3]);
      let out;
      try {
        out = s.model.forward(t);
      } finally {
        t.dispose();
      }
      try {
        y.set((await out.out.data()) as Float32Array, start * h * w * classes);
      } finally {
        disposeOutput(out);
      }
    }
    writeNpy(output, { dtype: 'F32', shape: [n, h, w, classes], data: y });
    process.stderr.write(`tfvision segment: ${name} (${s.loadedTensors} tensors) on ${input} [${x.shape.join(', ')}]: logits [${[n, h, w, classes].join(', ')}] → ${output}\n`);
    return 0;
  } finally {
    s.model.dispose();
  }
}

async function runImages(name: string, args: ParsedArgs, paths: string[], weights: string): Promise<number> {
  for (const flag of ['output', 'batch']) if (args.flags.has(flag)) throw new UsageError(`segment: --${flag} is for --input X.npy; for image files use --out-dir or --draw`);
  const outDir = stringFlag(args, 'out-dir');
  const drawDir = stringFlag(args, 'draw');
  if (outDir === undefined && drawDir === undefined) throw new UsageError('segment: nothing to write: give --out-dir DIR (class-index PNGs) or --draw DIR (overlays)');
  const alphaText = stringFlag(args, 'draw-alpha');
  const alpha = alphaText === undefined ? 0.5 : Number(alphaText);
  if (alphaText !== undefined && (alphaText.trim() === '' || !(alpha >= 0 && alpha <= 1))) throw new UsageError(`segment: --draw-alpha must be a number in [0, 1], got "${alphaText}"`);
  const files = listImageFiles(paths, 'segment');
  const stems = files.map((f) => basename(f, extname(f)));
  const clash = stems.find((st, i) => stems.indexOf(st) !== i);
  if (clash !== undefined) throw new UsageError(`segment: two images would write ${clash}.png (${files.filter((_, i) => stems[i] === clash).join(', ')})`);
  for (const d of [outDir, drawDir]) if (d !== undefined && !existsSync(d)) mkdirSync(d, { recursive: true });
  const { decodeImage } = await import('@tfvision/coco');

  await initBackend({ backend: stringFlag(args, 'backend'), report: false });
  let s: LoadedSegmenter | undefined;
  try {
    s = await loadSegmenter(name, weights);
    for (const note of s.notes) process.stderr.write(`tfvision segment: ${note}\n`);
    if (outDir !== undefined && s.model.numClasses > 256) throw new UsageError(`segment: --out-dir writes 8-bit class PNGs, the model has ${s.model.numClasses} classes; use --input X.npy --output Y.npy`);
    const started = Date.now();
    for (let i = 0; i < files.length; i++) {
      const im = await decodeImage(files[i]);
      const rgb = im.data;
      const map = await segmentImage(s, rgb, im.height, im.width);
      if (outDir !== undefined) await writeClassPng(join(outDir, `${stems[i]}.png`), map, im.width, im.height);
      if (drawDir !== undefined) await writeOverlay(join(drawDir, `${stems[i]}.png`), rgb, map, im.width, im.height, alpha);
      progress('segment', i + 1, files.length, started);
    }
    const written = [outDir && `class maps → ${outDir}`, drawDir && `overlays → ${drawDir}`].filter(Boolean);
    process.stderr.write(`tfvision segment: ${name} on ${files.length} images: ${written.join(', ')}\n`);
    return 0;
  } finally {
    s?.model.dispose();
  }
}

export async function runSegment(argv: string[]): Promise<number> {
  const { rest, images } = splitImagesFlag(argv);
  const args = parseArgs(rest, { values: VALUES, booleans: [] }, 'segment');
  const [nameArg, ...paths] = args.positional;
  const name = await checkSegmenterName(nameArg, 'segment');
  const weights = stringFlag(args, 'weights');
  if (weights === undefined) throw new UsageError('segment: --weights W.safetensors is required');
  if (!existsSync(weights)) throw new Error(`${weights}: no such file`);
  checkNotDirectory(weights, 'weights', 'segment', 'a .safetensors file');
  await checkBackendName(stringFlag(args, 'backend'), 'segment');
  const imagePaths = [...paths, ...images];
  if (args.flags.has('input')) {
    if (imagePaths.length > 0) throw new UsageError(`segment: give either --input X.npy or image paths, not both (got ${imagePaths[0]})`);
    return runNpy(name, args, weights);
  }
  if (imagePaths.length === 0) throw new UsageError('segment: give --input X.npy, or image files/folders after NAME or --images');
  return runImages(name, args, imagePaths, weights);
}

export const segmentCommand: Command = {
  name: 'segment',
  summary: 'run a registered segmenter on a .npy batch or image files (logits, class PNGs, overlays)',
  help: HELP,
  run: runSegment,
};
