/**
 * `tfvision detect`: a registered detector in eval mode on one .npy image (the fixed contract
 * of DESIGN.md) or on image files and folders (COCO results, drawn PNGs, per-image JSON).
 */
import { existsSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, readSafetensors, writeNpy } from '@tfvision/nn';
import type { CocoDataset, CocoResult } from '@tfvision/coco';
import type { CascadeRcnn, ConfigOverrides, GeneralizedRcnn, RcnnConfig } from '@tfvision/heads';
import { parseArgs, positiveIntegerFlag, splitImagesFlag, stringFlag, type ParsedArgs } from '../args.js';
import { UsageError, type Command } from '../command.js';
import { checkBackendName, checkNotDirectory, checkOutputFolder } from '../checks.js';
import { COCO_91_NAMES } from '../draw/coco-names.js';
import { drawDetections } from '../draw/draw-detections.js';
import { categoryMapper, cocoBoxResults, cocoSegmResults, detectionsJson, imageIds, listImages, readImageNpy, toHost, writeJson, type HostDetections } from './detect-io.js';
import { resolveModelKind } from './model-registry.js';

const HELP = `Usage:
  tfvision detect NAME --weights W.safetensors --input X.npy --output D.json [--masks M.npy]
                  [--min-size S] [--max-size S] [--score-thresh T] [--backend B]
  tfvision detect NAME --weights W.safetensors [--images] PATH... [--gt GT.json]
                  [--coco-results R.json] [--coco-segm-results S.json] [--draw DIR]
                  [--draw-thresh 0.5] [--output D.json] [--batch 1]
                  [--min-size S] [--max-size S] [--score-thresh T] [--backend B]

Runs a registered detector (\`tfvision model list --family detector\`) in eval mode. The
detector normalises, resizes and pads each image itself, as torchvision's do.

  --weights W        the detector's checkpoint in torchvision's layout (backbone.body.*,
                     backbone.fpn.*, rpn.head.*, roi_heads.*; what \`exportDetectorCheckpoint\`
                     writes); for cascade_* presets detectron2's layout (backbone.bottom_up.*,
                     proposal_generator.*, roi_heads.box_predictor.{0,1,2}.*: what
                     \`exportDetectron2StateDict\` and tools/convert write). The class count
                     follows its box predictor. Loaded strictly: a checkpoint of another
                     preset is an error listing the keys
  --frozen-bn-eps torchvision-coco
                     eps 0 in the backbone's FrozenBatchNorm, as torchvision sets it when its
                     COCO_V1 fasterrcnn/maskrcnn_resnet50_fpn weights load (their published
                     numbers are with it)
  --min-size S, --max-size S, --score-thresh T
                     test-time settings: torchvision's min_size (the short side), max_size
                     (the long side's bound) and box_score_thresh (a detection needs score > T)

One .npy image (the fixed contract):
  --input X.npy      float32 [H, W, 3] or [1, H, W, 3], RGB in [0, 1]
  --output D.json    {"boxes": [[x1, y1, x2, y2], ...], "scores": [...], "labels": [...]} in
                     X's pixels, in the model's output order; labels are the model's own
                     class indices (0 is the background and never appears)
  --masks M.npy      mask probabilities pasted into the image, float32 [D, H, W] (Mask R-CNN)

Image files (JPEG, PNG, WebP, TIFF; decoded with sharp, as stored, no EXIF rotation) and
folders of them (sorted by name), given after NAME or after --images:
  --coco-results R.json       COCO box results [{image_id, category_id, bbox: [x, y, w, h],
                              score}], ready for \`tfvision eval coco --iou-type bbox\`
  --coco-segm-results S.json  COCO mask results (mask > 0.5 as compressed RLE, no bbox, as
                              torchvision's coco_eval writes them) for --iou-type segm
  --gt GT.json                a COCO instances file: image ids by file name, category names
                              for drawing, and category ids for a fine-tuned model. Without it
                              a COCO-style numeric file name (000000397133.jpg) is the image id,
                              else the position (1, 2, ...)
                              Category ids: a 91-class torchvision COCO model's labels ARE COCO
                              category ids; another class count means labels 1..K over the
                              --gt categories sorted by id (the training pipeline's LabelMap)
  --draw DIR                  writes DIR/<image name>.png: the image with boxes, names, scores
                              and mask overlays of the detections scoring >= --draw-thresh
  --output D.json             [{"file", "width", "height", "boxes", "scores", "labels"}, ...]
  --batch B                   images per forward pass (default 1; a batch pads every image to
                              the largest, which changes border pixels of the smaller ones, as
                              in torchvision)
Progress (images/s, ETA) goes to stderr.`;

const VALUES = ['weights', 'input', 'output', 'masks', 'min-size', 'max-size', 'score-thresh', 'backend', 'gt', 'coco-results', 'coco-segm-results', 'draw', 'draw-thresh', 'batch', 'frozen-bn-eps'];


function fraction(args: ParsedArgs, key: string): number | undefined {
  const v = stringFlag(args, key);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`detect: --${key} must be a number in [0, 1], got "${v}"`);
  return n;
}

interface Loaded {
  model: GeneralizedRcnn | CascadeRcnn;
  numClasses: number;
  notes: string[];
  loadedTensors: number;
}

/** Builds the preset with the checkpoint's class count and the test-time settings, and loads the checkpoint strictly. */
async function loadDetector(name: string, weights: string, overrides: ConfigOverrides<RcnnConfig>, frozenBnEps: 'torchvision-coco' | undefined): Promise<Loaded> {
  const { checkpointNumClasses, createDetector, detectorConfig, loadDetectorCheckpoint, getDetectorEntry } = await import('@tfvision/heads');
  const tensors = readSafetensors(weights).tensors;
  if (getDetectorEntry(name).reference === 'detectron2') return loadCascade(name, weights, tensors, overrides);
  const numClasses = checkpointNumClasses(tensors) ?? detectorConfig(name).numClasses;
  const model = createDetector(name, { ...overrides, numClasses });
  try {
    const result = loadDetectorCheckpoint(model, tensors, { source: weights, frozenBnEps });
    model.eval();
    return { model, numClasses, notes: result.notes, loadedTensors: result.loaded.length };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/**
 * A detectron2-layout Cascade (Mask) R-CNN: the same test-time settings under detectron2's names
 * (INPUT.MIN_SIZE_TEST, INPUT.MAX_SIZE_TEST, ROI_HEADS.SCORE_THRESH_TEST); the class count from
 * the first stage's classifier, whose last column is the background.
 */
async function loadCascade(name: string, weights: string, tensors: ReturnType<typeof readSafetensors>['tensors'], overrides: ConfigOverrides<RcnnConfig>): Promise<Loaded> {
  const { cascadeDetectorConfig, createCascadeDetector, loadDetectron2StateDict } = await import('@tfvision/heads');
  const cls = tensors.get('roi_heads.box_predictor.0.cls_score.weight');
  const numClasses = cls ? cls.shape[0] - 1 : cascadeDetectorConfig(name).numClasses;
  const t = overrides.transform;
  const model = createCascadeDetector(name, {
    numClasses,
    ...(t?.minSize !== undefined || t?.maxSize !== undefined ? { transform: { ...(t.minSize ? { minSizeTest: t.minSize[0] } : {}), ...(t.maxSize !== undefined ? { maxSizeTest: t.maxSize } : {}) } } : {}),
    ...(overrides.roiHeads?.scoreThresh !== undefined ? { roiHeads: { scoreThresh: overrides.roiHeads.scoreThresh } } : {}),
  });
  try {
    const result = loadDetectron2StateDict(model, tensors, { source: weights });
    model.eval();
    return { model, numClasses, notes: [], loadedTensors: result.loaded.length };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.ceil(s)} s`;
  return `${Math.floor(s / 60)} min ${Math.ceil(s % 60)} s`;
}

async function runNpy(name: string, args: ParsedArgs, overrides: ConfigOverrides<RcnnConfig>, weights: string, frozenBnEps: 'torchvision-coco' | undefined, isMask: boolean): Promise<number> {
  const input = stringFlag(args, 'input') as string;
  const output = stringFlag(args, 'output');
  if (output === undefined) throw new UsageError('detect: --output D.json is required with --input');
  for (const flag of ['gt', 'coco-results', 'coco-segm-results', 'draw', 'batch', 'draw-thresh']) if (args.flags.has(flag)) throw new UsageError(`detect: --${flag} is for image files, not --input X.npy`);
  const masksPath = stringFlag(args, 'masks');
  if (masksPath !== undefined && !isMask) throw new UsageError(`detect: --masks needs a Mask R-CNN (maskrcnn_*); ${name} predicts boxes only`);
  if (!existsSync(input)) throw new Error(`${input}: no such file`);
  checkNotDirectory(input, 'input', 'detect', 'a .npy file');
  checkOutputFolder(output, 'output', 'detect');
  if (masksPath !== undefined) checkOutputFolder(masksPath, 'masks', 'detect');
  const image = readImageNpy(input);

  await initBackend({ backend: stringFlag(args, 'backend'), report: false });
  const { model, notes, loadedTensors } = await loadDetector(name, weights, overrides, frozenBnEps);
  try {
    for (const note of notes) process.stderr.write(`tfvision detect: ${note}\n`);
    const x = tf.tensor3d(image.data, [image.height, image.width, 3]);
    const [dets] = (() => {
      try {
        return model.predict([x]);
      } finally {
        x.dispose();
      }
    })();
    const host = await toHost(dets, image.height, image.width);
    writeJson(output, detectionsJson(host));
    if (masksPath !== undefined) writeNpy(masksPath, { dtype: 'F32', shape: [host.scores.length, image.height, image.width], data: host.masks ?? new Float32Array(0) });
    process.stderr.write(`tfvision detect: ${name} (${loadedTensors} tensors) on ${input} [${image.height}, ${image.width}, 3]: ${host.scores.length} detections → ${output}${masksPath ? `, masks → ${masksPath}` : ''}\n`);
    return 0;
  } finally {
    model.dispose();
  }
}

async function runImages(name: string, args: ParsedArgs, paths: string[], overrides: ConfigOverrides<RcnnConfig>, weights: string, frozenBnEps: 'torchvision-coco' | undefined, isMask: boolean): Promise<number> {
  if (args.flags.has('masks')) throw new UsageError('detect: --masks M.npy is for one --input X.npy; for image files use --coco-segm-results or --draw');
  const cocoPath = stringFlag(args, 'coco-results');
  const segmPath = stringFlag(args, 'coco-segm-results');
  const drawDir = stringFlag(args, 'draw');
  const outputPath = stringFlag(args, 'output');
  const gtPath = stringFlag(args, 'gt');
  if (!cocoPath && !segmPath && !drawDir && !outputPath) throw new UsageError('detect: nothing to write: give --coco-results, --coco-segm-results, --draw or --output');
  if (segmPath !== undefined && !isMask) throw new UsageError(`detect: --coco-segm-results needs a Mask R-CNN (maskrcnn_*); ${name} predicts boxes only`);
  const batch = positiveIntegerFlag(args, 'batch', 'detect') ?? 1;
  const drawThresh = fraction(args, 'draw-thresh') ?? 0.5;
  for (const [flag, p] of [['coco-results', cocoPath], ['coco-segm-results', segmPath], ['output', outputPath]] as const) if (p !== undefined) checkOutputFolder(p, flag, 'detect');
  if (drawDir !== undefined && !existsSync(drawDir)) {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(drawDir, { recursive: true });
  }
  const files = listImages(paths);
  let gt: CocoDataset | undefined;
  if (gtPath !== undefined) {
    if (!existsSync(gtPath)) throw new Error(`${gtPath}: no such file`);
    const { readCocoFile } = await import('@tfvision/coco');
    gt = await readCocoFile(gtPath);
  }
  const ids = imageIds(files, gt);
  const { decodeImage } = await import('@tfvision/coco');

  await initBackend({ backend: stringFlag(args, 'backend'), report: false });
  const { model, numClasses, notes } = await loadDetector(name, weights, overrides, frozenBnEps);
  try {
    for (const note of notes) process.stderr.write(`tfvision detect: ${note}\n`);
    const toCategory = categoryMapper(numClasses, gt);
    const gtNames = gt ? new Map(gt.categories.map((c) => [c.id, c.name])) : undefined;
    const labelName = (l: number): string => (gtNames ? (gtNames.get(toCategory(l)) ?? String(l)) : numClasses === 91 ? COCO_91_NAMES[l] : String(l));
    const boxResults: CocoResult[] = [];
    const segmResults: CocoResult[] = [];
    const perImage: unknown[] = [];
    const started = Date.now();
    const tty = process.stderr.isTTY === true;
    for (let start = 0; start < files.length; start += batch) {
      const group = files.slice(start, start + batch);
      const decoded = await Promise.all(group.map((f) => decodeImage(f)));
      const tensors = decoded.map((im) => tf.tidy(() => tf.div(tf.tensor3d(im.data, [im.height, im.width, 3], 'int32').toFloat(), 255) as tf.Tensor3D));
      let dets;
      try {
        dets = model.predict(tensors);
      } finally {
        tf.dispose(tensors);
      }
      for (let k = 0; k < group.length; k++) {
        const im = decoded[k];
        const host: HostDetections = await toHost(dets[k], im.height, im.width);
        const id = ids[start + k];
        if (cocoPath) boxResults.push(...cocoBoxResults(host, id, toCategory));
        if (segmPath) segmResults.push(...cocoSegmResults(host, id, toCategory));
        if (outputPath) perImage.push({ file: group[k], width: im.width, height: im.height, ...detectionsJson(host) });
        if (drawDir) await drawDetections(join(drawDir, `${basename(group[k], extname(group[k]))}.png`), im.data, im.width, im.height, host, { labelName, minScore: drawThresh });
      }
      const done = Math.min(start + batch, files.length);
      const rate = done / Math.max((Date.now() - started) / 1000, 1e-9);
      process.stderr.write(`detect: ${done}/${files.length} images (${rate.toFixed(2)} images/s, ETA ${formatSeconds((files.length - done) / rate)})${tty && done < files.length ? '\r' : '\n'}`);
    }
    if (cocoPath) writeJson(cocoPath, boxResults);
    if (segmPath) writeJson(segmPath, segmResults);
    if (outputPath) writeJson(outputPath, perImage);
    const written = [cocoPath && `${boxResults.length} box results → ${cocoPath}`, segmPath && `${segmResults.length} mask results → ${segmPath}`, drawDir && `drawings → ${drawDir}`, outputPath && `detections → ${outputPath}`].filter(Boolean);
    process.stderr.write(`tfvision detect: ${name} on ${files.length} images: ${written.join(', ')}\n`);
    return 0;
  } finally {
    model.dispose();
  }
}

export async function runDetect(argv: string[]): Promise<number> {
  const { rest, images } = splitImagesFlag(argv);
  const args = parseArgs(rest, { values: VALUES, booleans: [] }, 'detect');
  const [name, ...paths] = args.positional;
  if (!name) throw new UsageError('detect: NAME is required (see `tfvision model list --family detector`)');
  if ((await resolveModelKind(name, 'detect')) !== 'detector') throw new UsageError(`detect: "${name}" is a backbone; detect runs a detector (\`tfvision model list --family detector\`), e.g. fasterrcnn_${name}_fpn`);
  const { getDetectorEntry } = await import('@tfvision/heads');
  const entry = getDetectorEntry(name);
  if (entry.reference !== 'torchvision' && args.flags.has('frozen-bn-eps')) throw new UsageError(`detect: --frozen-bn-eps is torchvision's rule; ${name} is a detectron2 preset`);
  const weights = stringFlag(args, 'weights');
  if (weights === undefined) throw new UsageError('detect: --weights W.safetensors is required');
  if (!existsSync(weights)) throw new Error(`${weights}: no such file`);
  checkNotDirectory(weights, 'weights', 'detect', 'a .safetensors file');
  await checkBackendName(stringFlag(args, 'backend'), 'detect');
  const eps = stringFlag(args, 'frozen-bn-eps');
  if (eps !== undefined && eps !== 'torchvision-coco') throw new UsageError(`detect: --frozen-bn-eps must be torchvision-coco, got "${eps}"`);
  const minSize = positiveIntegerFlag(args, 'min-size', 'detect');
  const maxSize = positiveIntegerFlag(args, 'max-size', 'detect');
  const scoreThresh = fraction(args, 'score-thresh');
  const overrides: ConfigOverrides<RcnnConfig> = {
    ...(minSize !== undefined || maxSize !== undefined ? { transform: { ...(minSize !== undefined ? { minSize: [minSize] } : {}), ...(maxSize !== undefined ? { maxSize } : {}) } } : {}),
    ...(scoreThresh !== undefined ? { roiHeads: { scoreThresh } } : {}),
  };
  const isMask = ['mask_rcnn', 'cascade_mask_rcnn'].includes(entry.config().type);
  const frozenBnEps = eps as 'torchvision-coco' | undefined;
  const imagePaths = [...paths, ...images];
  if (args.flags.has('input')) {
    if (imagePaths.length > 0) throw new UsageError(`detect: give either --input X.npy or image paths, not both (got ${imagePaths[0]})`);
    return runNpy(name, args, overrides, weights, frozenBnEps, isMask);
  }
  if (imagePaths.length === 0) throw new UsageError('detect: give --input X.npy, or image files/folders after NAME or --images');
  return runImages(name, args, imagePaths, overrides, weights, frozenBnEps, isMask);
}

export const detectCommand: Command = {
  name: 'detect',
  summary: 'run a registered detector on a .npy image or image files (COCO results, drawings)',
  help: HELP,
  run: runDetect,
};
