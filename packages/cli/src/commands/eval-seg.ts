/**
 * `tfvision eval seg`: pixel accuracy, mean class accuracy, mIoU and frequency-weighted IoU from
 * one confusion matrix over every pixel of every image (@tfvision/eval's SegmentationMetrics:
 * torchvision's references/segmentation ConfusionMatrix and mmsegmentation's nan-mean over
 * classes), either from two folders of label PNGs matched by file name, or from a segmenter run
 * over a COCO-format dataset whose instance masks are rasterised to semantic maps
 * (semantic-map.ts: contiguous 1-based labels, overlaps and crowd regions ignored).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { SegmentationMetrics, type SegmentationReport } from '@tfvision/eval';
import { initBackend } from '@tfvision/nn';
import { parseArgs, stringFlag, type ParsedArgs } from '../args.js';
import { UsageError } from '../command.js';
import { checkBackendName, checkNotDirectory } from '../checks.js';
import { progress, readLabelPng } from './segment-io.js';
import { checkSegmenterName, loadSegmenter, segmentImage } from './segment-model.js';
import { semanticLabels, semanticMap } from './semantic-map.js';

export const EVAL_SEG_HELP = `  tfvision eval seg --pred DIR --gt DIR [--num-classes K] [--ignore-index 255] [--json]
  tfvision eval seg NAME --weights W.safetensors --coco GT.json --images DIR
                    [--ignore-index 255] [--backend B] [--json]

Semantic segmentation metrics from one confusion matrix over all pixels (pixels whose ground
truth is the ignore index are skipped): pixel accuracy, mean class accuracy, mIoU and
frequency-weighted IoU, as torchvision's references/segmentation ConfusionMatrix (acc_global,
acc, iu) and mmsegmentation (classes absent from both ground truth and prediction are left out
of the means; fwIoU weights each class's IoU by its ground-truth pixel share).
  --pred DIR, --gt DIR  8-bit greyscale label PNGs (the value is the class), matched by file
                   name without extension; every ground truth needs a prediction of its size
  --num-classes K  classes 0..K-1 (default: the largest label below the ignore index, + 1)
  --ignore-index I ground-truth value to skip (default 255)
  NAME --weights W --coco GT.json --images DIR
                   runs a registered segmenter (see \`tfvision segment --help\`) on every image
                   of a COCO instances file (DIR/file_name) and scores it against the instance
                   masks rasterised to labels: category k of the K sorted by id is k (1..K),
                   0 is background, pixels of two instances or of a crowd region are ignored;
                   the model must have K + 1 classes
  --json           one JSON object: {"pixelAccuracy", "meanAccuracy", "mIoU", "fwIoU",
                   "perClassIoU": [...], "perClassAccuracy": [...], "numClasses", "pixels",
                   "images"} (null where a class is absent)`;

interface Scored {
  report: SegmentationReport;
  images: number;
  classNames?: string[];
}

function labelFiles(dir: string, flag: string): Map<string, string> {
  if (!existsSync(dir)) throw new UsageError(`seg: --${flag} ${dir}: no such folder`);
  if (!statSync(dir).isDirectory()) throw new UsageError(`seg: --${flag} ${dir} is a file, expected a folder of label PNGs`);
  const out = new Map<string, string>();
  for (const f of readdirSync(dir).sort()) {
    if (extname(f).toLowerCase() !== '.png') continue;
    const stem = basename(f, extname(f));
    if (out.has(stem)) throw new UsageError(`seg: --${flag} ${dir} has two files named ${stem}`);
    out.set(stem, join(dir, f));
  }
  if (out.size === 0) throw new UsageError(`seg: --${flag} ${dir}: no .png files`);
  return out;
}

function integerFlag(args: ParsedArgs, key: string, min: number): number | undefined {
  const v = stringFlag(args, key);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min) throw new UsageError(`seg: --${key} must be an integer >= ${min}, got "${v}"`);
  return n;
}

async function scoreFolders(args: ParsedArgs, ignoreIndex: number): Promise<Scored> {
  const preds = labelFiles(stringFlag(args, 'pred') as string, 'pred');
  const gtDir = stringFlag(args, 'gt');
  if (gtDir === undefined) throw new UsageError('seg: --gt DIR is required with --pred');
  const gts = labelFiles(gtDir, 'gt');
  const missing = [...gts.keys()].find((k) => !preds.has(k));
  if (missing !== undefined) throw new UsageError(`seg: ${gts.get(missing)} has no prediction (no ${missing}.png in --pred)`);
  const extra = [...preds.keys()].find((k) => !gts.has(k));
  if (extra !== undefined) throw new UsageError(`seg: ${preds.get(extra)} has no ground truth (no ${extra}.png in --gt)`);
  const pairs: { pred: Uint8Array; gt: Uint8Array; names: [string, string] }[] = [];
  let largest = -1;
  for (const [stem, gtPath] of gts) {
    const predPath = preds.get(stem) as string;
    const [p, g] = await Promise.all([readLabelPng(predPath), readLabelPng(gtPath)]);
    if (p.width !== g.width || p.height !== g.height) throw new Error(`seg: ${predPath} is ${p.width}x${p.height} but ${gtPath} is ${g.width}x${g.height} (width x height); a prediction must be the size of its ground truth`);
    for (const v of p.data) if (v > largest) largest = v;
    for (const v of g.data) if (v !== ignoreIndex && v > largest) largest = v;
    pairs.push({ pred: p.data, gt: g.data, names: [predPath, gtPath] });
  }
  const numClasses = integerFlag(args, 'num-classes', 1) ?? largest + 1;
  if (numClasses < 1) throw new Error('seg: every ground-truth pixel is the ignore index and no class can be inferred; give --num-classes');
  const metrics = new SegmentationMetrics(numClasses, { ignoreIndex });
  for (const { pred, gt, names } of pairs) {
    try {
      metrics.update(pred, gt);
    } catch (err) {
      throw new Error(`seg: ${names[0]} / ${names[1]}: ${(err as Error).message.replace(/^SegmentationMetrics\.update: /, '')} (--num-classes ${numClasses}, --ignore-index ${ignoreIndex})`);
    }
  }
  return { report: metrics.compute(), images: pairs.length };
}

async function scoreCoco(name: string, args: ParsedArgs, ignoreIndex: number): Promise<Scored> {
  const weights = stringFlag(args, 'weights');
  const cocoPath = stringFlag(args, 'coco');
  const imagesDir = stringFlag(args, 'images');
  if (weights === undefined || cocoPath === undefined || imagesDir === undefined) throw new UsageError('seg: NAME needs --weights W.safetensors, --coco GT.json and --images DIR');
  if (args.flags.has('num-classes')) throw new UsageError('seg: --num-classes is for --pred/--gt; with --coco the classes are the categories plus background');
  for (const [flag, p] of [['weights', weights], ['coco', cocoPath]] as const) {
    if (!existsSync(p)) throw new Error(`${p}: no such file`);
    checkNotDirectory(p, flag, 'seg', 'a file');
  }
  if (!existsSync(imagesDir) || !statSync(imagesDir).isDirectory()) throw new UsageError(`seg: --images ${imagesDir}: no such folder`);
  await checkBackendName(stringFlag(args, 'backend'), 'seg');
  const { CocoIndex, decodeImage, readCocoFile } = await import('@tfvision/coco');
  const gt = await readCocoFile(cocoPath);
  const index = new CocoIndex(gt);
  const labels = semanticLabels(gt.categories);
    if (!(ignoreIndex > labels.numClasses && ignoreIndex <= 255)) throw new UsageError(`seg: with --coco the ignore index marks rasterised overlaps and crowds in 8-bit labels above the ${labels.numClasses} categories: it must be in [${labels.numClasses + 1}, 255], got ${ignoreIndex}`);
  await initBackend({ backend: stringFlag(args, 'backend'), report: false });
  const s = await loadSegmenter(name, weights);
  try {
    const numClasses = labels.numClasses + 1;
    if (s.model.numClasses !== numClasses) throw new Error(`seg: ${weights} has ${s.model.numClasses} classes, ${cocoPath} ${labels.numClasses} categories + background = ${numClasses}`);
    const metrics = new SegmentationMetrics(numClasses, { ignoreIndex });
    const images = [...gt.images].sort((a, b) => a.id - b.id);
    const started = Date.now();
    for (let i = 0; i < images.length; i++) {
      const info = images[i];
      const path = join(imagesDir, info.file_name);
      const im = await decodeImage(path);
      if (im.width !== info.width || im.height !== info.height) throw new Error(`seg: ${path} is ${im.width}x${im.height} but ${cocoPath} says image ${info.id} is ${info.width}x${info.height}`);
      const target = semanticMap(index.loadAnns(index.getAnnIds({ imgIds: [info.id] })), info.height, info.width, labels, ignoreIndex);
      metrics.update(await segmentImage(s, im.data, im.height, im.width), target);
      progress('eval seg', i + 1, images.length, started);
    }
    const byLabel = new Map(gt.categories.map((c) => [labels.label(c.id), c.name]));
    return { report: metrics.compute(), images: images.length, classNames: ['background', ...Array.from({ length: labels.numClasses }, (_, k) => byLabel.get(k + 1) ?? String(k + 1))] };
  } finally {
    s.model.dispose();
  }
}

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);
const pct = (v: number): string => (Number.isFinite(v) ? (100 * v).toFixed(2) : '—');

function printText(s: Scored): void {
  const r = s.report;
  const lines = [
    `pixel accuracy       ${pct(r.pixelAccuracy)}`,
    `mean accuracy        ${pct(r.meanClassAccuracy)}`,
    `mIoU                 ${pct(r.mIoU)}`,
    `frequency-weighted   ${pct(r.fwIoU)}`,
    `(${r.pixels} pixels of ${s.images} images, ${r.iou.length} classes; percent)`,
    '',
  ];
  const names = s.classNames ?? Array.from(r.iou, (_, k) => String(k));
  const w = Math.max(5, ...names.map((n) => n.length));
  lines.push(`${'class'.padEnd(w)}  IoU     accuracy`);
  r.iou.forEach((v, k) => lines.push(`${names[k].padEnd(w)}  ${pct(v).padStart(6)}  ${pct(r.classAccuracy[k]).padStart(6)}`));
  process.stdout.write(`${lines.join('\n')}\n`);
}

export async function evalSeg(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['pred', 'gt', 'num-classes', 'ignore-index', 'weights', 'coco', 'images', 'backend'], booleans: ['json'] }, 'seg');
  const ignoreIndex = integerFlag(args, 'ignore-index', -1) ?? 255;
  const [name, ...more] = args.positional;
  if (more.length > 0) throw new UsageError(`seg: unexpected argument "${more[0]}"`);
  let scored: Scored;
  if (name === undefined) {
    if (!args.flags.has('pred')) throw new UsageError('seg: give --pred DIR --gt DIR, or NAME --weights W --coco GT.json --images DIR');
    for (const flag of ['weights', 'coco', 'images', 'backend']) if (args.flags.has(flag)) throw new UsageError(`seg: --${flag} needs a segmenter NAME (it runs the model)`);
    scored = await scoreFolders(args, ignoreIndex);
  } else {
    if (args.flags.has('pred') || args.flags.has('gt')) throw new UsageError('seg: --pred/--gt score label PNGs without a model; give either them or NAME --weights --coco --images');
    scored = await scoreCoco(await checkSegmenterName(name, 'seg'), args, ignoreIndex);
  }
  const r = scored.report;
  if (args.flags.has('json')) {
    const json = {
      pixelAccuracy: finite(r.pixelAccuracy),
      meanAccuracy: finite(r.meanClassAccuracy),
      mIoU: finite(r.mIoU),
      fwIoU: finite(r.fwIoU),
      perClassIoU: Array.from(r.iou, finite),
      perClassAccuracy: Array.from(r.classAccuracy, finite),
      numClasses: r.iou.length,
      pixels: r.pixels,
      images: scored.images,
      ...(scored.classNames ? { classNames: scored.classNames } : {}),
    };
    process.stdout.write(`${JSON.stringify(json)}\n`);
  } else printText(scored);
  return 0;
}
