/**
 * `tfvision eval cls`: top-1/top-5 of a classification checkpoint over an image folder, with the
 * model's own evaluation transform exactly as timm's validate.py applies it
 * (create_transform(**resolve_data_config(model=...)), PIL decoding and PIL resampling, see
 * @tfvision/train eval-transform), and accuracy counted as timm.utils.accuracy.
 */
import { existsSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, readSafetensors } from '@tfvision/nn';
import { createBackbone, getModelEntry, loadCheckpoint, type CheckpointFormat } from '@tfvision/backbones';
import {
  ClsAccumulator, DataLoader, EvalDataset, evalTransformConfig, evalWorkerFactory, listClassFolder, listLabelledFolder,
  readClassesFile, timmEvalCrop, type EvalListing, type ClsReport, type PilInterpolation,
} from '@tfvision/train';
import { numberFlag, parseArgs, requiredFlag, stringFlag } from '../args.js';
import { UsageError } from '../command.js';
import { checkModelName, checkOutputFolder } from '../checks.js';

export const EVAL_CLS_HELP = `  tfvision eval cls --model NAME --weights W.safetensors --data DIR [--crop-pct P]
                    [--interpolation bilinear|bicubic] [--batch B] [--workers N] [--limit N]
                    [--classes FILE] [--labels FILE] [--predictions OUT.json] [--from timm|torchvision]
                    [--backend B] [--json]

Top-1/top-5 accuracy of a classifier over DIR, preprocessed as timm's evaluation transform for
the model (resize the short side to floor(size / crop_pct) with PIL's filter, centre crop,
mean/std; PIL decoding: no EXIF rotation or ICC conversion, CMYK and grayscale as
convert('RGB')), accuracy as timm's validate.py.
  --data DIR       DIR/<class>/<images> (classes sorted by name, or in --classes order), or a
                   flat folder of images with --labels
  --classes FILE   one class name per line; line i is class index i
  --labels FILE    "NAME INDEX" lines for a flat folder (ImageNet val2012 kept flat)
  --crop-pct P, --interpolation M   override the model's pretrained config
  --batch B        images per forward (default 32); --workers N decoding threads (default 2)
  --limit N        evaluate N images spread evenly over the listing
  --predictions F  write [{file, label, top5}] per evaluated image to F
  --json           one JSON object: top1, top5, perClass, worst (10 classes, with the classes
                   their images were taken for), corrupt files, throughput
Files that fail to decode are listed and counted, not evaluated. The class count of the data
(folders, --classes) must equal the checkpoint's classifier size.
`;

function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.round(s % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

function positiveInt(args: ReturnType<typeof parseArgs>, key: string, fallback: number, min: number): number {
  const v = numberFlag(args, key, 'eval cls', fallback);
  if (!Number.isInteger(v) || v < min) throw new UsageError(`eval cls: --${key} must be an integer >= ${min}, got ${v}`);
  return v;
}

/** Evenly spread subset (keeps every class represented in a class-sorted listing). */
function limitListing(listing: EvalListing, limit: number | undefined): EvalListing {
  const n = listing.samples.length;
  if (limit === undefined || limit >= n) return listing;
  const samples = Array.from({ length: limit }, (_, i) => listing.samples[Math.floor((i * n) / limit)]);
  return { classes: listing.classes, samples };
}

function checkpointClassCount(path: string, classifier: string): number {
  const ckpt = readSafetensors(path).tensors;
  const key = [...ckpt.keys()].find((k) => k === `${classifier}.weight` || k.endsWith(`.${classifier}.weight`) || k === 'classifier.1.weight');
  if (!key) throw new Error(`eval cls: ${path} has no classifier weight "${classifier}.weight" (a headless or foreign checkpoint)`);
  return ckpt.get(key)!.shape[0];
}

function textReport(r: ClsReport, corrupt: string[], seconds: number): string {
  const lines = [
    `images ${r.images}  top-1 ${r.top1.toFixed(3)}  top-5 ${r.top5.toFixed(3)}`,
    `throughput ${(r.images / seconds).toFixed(1)} images/s (${seconds.toFixed(1)} s); 50,000 images would take ${fmtDuration((50000 * seconds) / Math.max(1, r.images))}`,
  ];
  if (corrupt.length) lines.push(`corrupt or unreadable: ${corrupt.length}`, ...corrupt.map((p) => `  ${p}`));
  if (r.worst.length) {
    lines.push('worst classes (top-1):');
    for (const c of r.worst) {
      const conf = c.confusedWith.map((x) => `${x.name} x${x.count}`).join(', ');
      lines.push(`  ${c.name.padEnd(12)} ${c.top1.toFixed(1).padStart(5)}%  top-5 ${c.top5.toFixed(1).padStart(5)}%  (${c.images} images)${conf ? `  taken for ${conf}` : ''}`);
    }
  }
  return lines.join('\n');
}

export async function runEvalCls(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    values: ['model', 'weights', 'data', 'crop-pct', 'interpolation', 'batch', 'workers', 'limit', 'classes', 'labels', 'predictions', 'from', 'backend'],
    booleans: ['json'],
  }, 'eval cls');
  if (args.positional.length > 0) throw new UsageError(`eval cls: unexpected argument "${args.positional[0]}"`);
  const name = requiredFlag(args, 'model', 'eval cls');
  const weights = requiredFlag(args, 'weights', 'eval cls');
  const data = requiredFlag(args, 'data', 'eval cls');
  const interpolation = stringFlag(args, 'interpolation');
  if (interpolation !== undefined && interpolation !== 'bilinear' && interpolation !== 'bicubic') {
    throw new UsageError(`eval cls: --interpolation must be bilinear or bicubic, got "${interpolation}"`);
  }
  const cropPctFlag = stringFlag(args, 'crop-pct');
  const cropPct = cropPctFlag === undefined ? undefined : Number(cropPctFlag);
  if (cropPct !== undefined && !(cropPct > 0 && cropPct <= 4)) throw new UsageError(`eval cls: --crop-pct must be in (0, 4], got "${cropPctFlag}"`);
  const batchSize = positiveInt(args, 'batch', 32, 1);
  let workers = positiveInt(args, 'workers', 2, 0);
  const limit = stringFlag(args, 'limit') === undefined ? undefined : positiveInt(args, 'limit', 0, 1);
  const from = stringFlag(args, 'from');
  if (from !== undefined && from !== 'timm' && from !== 'torchvision') throw new UsageError(`eval cls: --from must be timm or torchvision, got "${from}"`);
  const classesPath = stringFlag(args, 'classes');
  const labelsPath = stringFlag(args, 'labels');
  const predictionsPath = stringFlag(args, 'predictions');
  if (predictionsPath !== undefined) checkOutputFolder(predictionsPath, 'predictions', 'eval cls');
  for (const p of [weights, data, classesPath, labelsPath]) if (p !== undefined && !existsSync(p)) throw new Error(`eval cls: ${p}: no such file or folder`);
  await checkModelName(name, 'eval cls');
  const entry = getModelEntry(name);

  const numClasses = checkpointClassCount(weights, entry.defaultCfg.classifier);
  const classes = classesPath ? readClassesFile(classesPath) : undefined;
  if (classes && classes.length !== numClasses) throw new Error(`eval cls: --classes ${classesPath} lists ${classes.length} classes but ${weights} has ${numClasses}`);
  const full = labelsPath ? listLabelledFolder(data, labelsPath, numClasses, classes) : listClassFolder(data, classes);
  if (full.classes.length !== numClasses) {
    throw new Error(`eval cls: ${data} has ${full.classes.length} class folders but ${weights} has ${numClasses} classes (pass --classes FILE to name all ${numClasses})`);
  }
  const listing = limitListing(full, limit);
  const cfg = evalTransformConfig(entry.defaultCfg, { cropPct, interpolation: interpolation as PilInterpolation | undefined });
  const spec = { listing, transform: cfg };
  const workerFactory = workers > 0 ? evalWorkerFactory(spec) : undefined;
  if (workers > 0 && !workerFactory) {
    process.stderr.write('eval cls: @tfvision/train is not built (no dist/eval-transform), decoding in-process\n');
    workers = 0;
  }

  await initBackend({ backend: stringFlag(args, 'backend'), report: false });
  const model = createBackbone(name, { numClasses });
  const dataset = new EvalDataset(listing);
  const loader = new DataLoader(dataset, {
    batchSize, shuffle: false, dropLast: false, seed: 0, workers, workerFactory,
    transform: (img) => timmEvalCrop(img, cfg), mean: cfg.mean, std: cfg.std,
  });
  const acc = new ClsAccumulator(listing.classes);
  const corrupt: string[] = [];
  const predictions: { file: string; label: number; top5: number[] }[] = [];
  const total = listing.samples.length;
  const tty = process.stderr.isTTY === true;
  const start = performance.now();
  let done = 0;
  let lastReport = 0;
  try {
    const loaded = loadCheckpoint(model, name, weights, { from: from as CheckpointFormat | undefined, classifier: 'keep', source: weights });
    for (const note of loaded.notes) process.stderr.write(`eval cls: ${note}\n`);
    model.eval();
    for await (const b of loader.epoch(0)) {
      const keep: number[] = [];
      for (let k = 0; k < b.n; k++) {
        if (b.labels[k] === dataset.corruptLabel) corrupt.push(listing.samples[b.indices[k]].path);
        else keep.push(k);
      }
      if (keep.length > 0) {
        const per = b.height * b.width * b.channels;
        const images = keep.length === b.n ? b.images : Float32Array.from(keep.flatMap((k) => Array.from(b.images.subarray(k * per, (k + 1) * per))));
        const logits = tf.tidy(() => model.forward(tf.tensor4d(images, [keep.length, b.height, b.width, b.channels])));
        const values = (await logits.data()) as Float32Array;
        logits.dispose();
        const tops = acc.add(values, keep.map((k) => b.labels[k]));
        if (predictionsPath !== undefined) keep.forEach((k, j) => predictions.push({ file: listing.samples[b.indices[k]].path, label: b.labels[k], top5: tops[j] }));
      }
      done += b.n;
      const now = performance.now();
      if (now - lastReport > (tty ? 250 : 10000) || done === total) {
        lastReport = now;
        const rate = done / ((now - start) / 1000);
        process.stderr.write(`${tty ? '\r' : ''}eval cls: ${done}/${total} images, ${rate.toFixed(1)} images/s, ETA ${fmtDuration((total - done) / rate)}${tty ? '' : '\n'}`);
      }
    }
    if (tty) process.stderr.write('\n');
  } finally {
    await loader.close();
    model.dispose();
  }
  const seconds = (performance.now() - start) / 1000;
  const report = acc.report(10);
  if (predictionsPath !== undefined) writeFileSync(predictionsPath, `${JSON.stringify(predictions)}\n`);
  if (args.flags.has('json')) {
    process.stdout.write(`${JSON.stringify({
      model: name, weights, data, transform: cfg, images: report.images, top1: report.top1, top5: report.top5,
      corrupt: { count: corrupt.length, files: corrupt },
      throughput: { seconds, imagesPerSecond: total / seconds, secondsFor50000: (50000 * seconds) / total, workers, batch: batchSize },
      perClass: report.perClass, worst: report.worst,
    })}\n`);
  } else {
    process.stdout.write(`${textReport(report, corrupt, seconds)}\n`);
  }
  return 0;
}
