/**
 * `tfvision train seg`: trains a DeepLabV3 / DeepLabV3+ from a segmentation config on the shared
 * training engine (@tfvision/train's segmentation run: torchvision's segmentation recipe of SGD,
 * the poly schedule, cross-entropy with ignore index 255 and the auxiliary loss at 0.5, mIoU
 * with @tfvision/eval every N steps and at the end). Each evaluation draws its first images with
 * the predicted classes in PASCAL VOC's palette, as `tfvision segment --draw` does. Usage and
 * config errors are UsageErrors (exit 2) naming the file and field; a non-finite loss exits 1
 * keeping the last good checkpoint.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SegmentationEvalReport } from '@tfvision/train';
import { numberFlag, parseArgs, stringFlag } from '../args.js';
import { UsageError } from '../command.js';
import { resolveConfigPath } from '../configs.js';
import { writeOverlay } from './segment-io.js';
import { removeRunFiles, type RunDirMode } from './train-run-dir.js';
import { setUpTrainRun, usageOnConfigError } from './train-run-setup.js';

/** Writes predictions/step-N/<image>.png (predicted classes over the image) and <image>.label.png (the label map, 255 in the palette's colour). */
export async function drawSegmentationPredictions(report: SegmentationEvalReport, outDir: string, step: number): Promise<string[]> {
  const dir = join(outDir, 'predictions', `step-${String(step).padStart(8, '0')}`);
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const p of report.predictions) {
    const { width, height, data } = p.image;
    const stem = p.fileName.replace(/\.[^./\\]+$/, '').replace(/[\\/]/g, '_');
    const predicted = join(dir, `${stem}.png`);
    const label = join(dir, `${stem}.label.png`);
    await writeOverlay(predicted, data, p.prediction, width, height, 0.5);
    await writeOverlay(label, data, p.label, width, height, 0.5);
    written.push(predicted, label);
  }
  return written;
}

export const TRAIN_SEG_HELP = `tfvision train seg --config C [--data DIR] [--out DIR] [--resume | --overwrite] [--steps N] [--backbone-weights W] [--backend X]

Trains a semantic segmenter (DeepLabV3 or DeepLabV3+ over any backbone) from a JSON config: a
path or a bundled name (deeplabv3_resnest14d_synth; deeplabv3_resnet50_coco and
deeplabv3_resnest50d_coco, torchvision's COCO recipe on its 20 VOC categories). The model is the
preset deeplabv3_<model.backbone.name> (or deeplabv3plus_...) with model.head's overrides;
numClasses is 1 + the categories of the data. Labels come from the COCO instance masks (0
background, overlaps and crowd regions ignored as 255). Writes under --out: log.jsonl (every
step's loss_out / loss_aux and lr, each evaluation), curves.png, eval/step-N.json (mIoU, pixel
accuracy, per-class IoU and accuracy), metrics.json (the final evaluation),
predictions/step-N/*.png (the first eval.draw evaluation images with their predicted classes,
and *.label.png with the label map), checkpoints/step-NNNNNNNN/, checkpoints/best/ (best mIoU)
and checkpoints/latest.json. Progress goes to stderr.

  --config C            segmentation config (JSON, may "extends" another) or bundled name   required
  --data DIR            overrides data.root (train/val paths are relative to it)
  --out DIR             run directory                          default runs/<config name>
  --resume              continue exactly from the newest checkpoint in --out
  --overwrite           replace the run in --out
  --steps N             total iterations (overrides schedule.iterations / epochs; the poly schedule spans N)
  --backbone-weights W  the backbone's ImageNet checkpoint (timm or torchvision safetensors;
                        overrides model.backbone.weights), as torchvision's --weights-backbone
  --backend X           cpu | wasm | webgpu | tensorflow       default: TFVISION_BACKEND or the first that works

A config with data.synth generates its synthetic data under data.root when it is missing.
Exit codes: 0 done, 1 training error (non-finite loss), 2 usage or config error.
`;

export async function runTrainSeg(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['config', 'data', 'out', 'steps', 'backbone-weights', 'backend'], booleans: ['resume', 'overwrite'] }, 'train seg');
  if (args.positional.length > 0) throw new UsageError(`train seg: unexpected argument "${args.positional[0]}"`);
  const configFlag = stringFlag(args, 'config');
  if (!configFlag) throw new UsageError('train seg: --config is required');
  const configPath = resolveConfigPath(configFlag);
  if (args.flags.has('resume') && args.flags.has('overwrite')) throw new UsageError('--resume and --overwrite are alternatives: continue the run in --out, or replace it');
  const mode: RunDirMode = args.flags.has('resume') ? 'resume' : args.flags.has('overwrite') ? 'overwrite' : 'new';
  const stepsFlag = stringFlag(args, 'steps');
  const steps = stepsFlag === undefined ? undefined : numberFlag(args, 'steps', 'train seg', 0);
  if (steps !== undefined && (!Number.isInteger(steps) || steps < 1)) throw new UsageError(`--steps must be a positive integer, got ${stepsFlag}`);

  const train = await import('@tfvision/train');
  const weights = stringFlag(args, 'backbone-weights');
  if (weights !== undefined && !existsSync(weights)) throw new UsageError(`--backbone-weights ${weights}: no such file`);
  const overrides = weights !== undefined ? { model: { backbone: { weights } } } : {};
  const { config, outDir, stale } = await setUpTrainRun({ command: 'train seg', args, configPath, mode, overrides, load: train.loadSegmentationConfig, runPaths: train.segmentationRunPaths });
  const run = await usageOnConfigError(() =>
    train.buildSegmentationRun(config, { outDir, resume: mode === 'resume', totalSteps: steps, onEval: async (report, step) => void (await drawSegmentationPredictions(report, outDir, step)) }),
  );
  try {
    removeRunFiles(stale);
    const { trainSet, evalSet, trainer } = run;
    const backboneNote = config.model.backbone.weights ? run.notes.join('; ') : 'backbone initialised at random (no model.backbone.weights)';
    process.stderr.write(
      `train seg: ${run.presetName}, ${run.model.numParameters(true).toLocaleString('en-US')} trainable parameters, ${trainSet.labels.numClasses} classes (background + ${trainSet.labels.numClasses - 1}); ` +
        `${trainSet.length} training images (${trainSet.skippedImages} skipped: annotated area <= ${config.data.minAnnotatedArea}), ${evalSet.length} evaluation images; ` +
        `batch ${config.optimizer.batchSize}, crop ${config.data.cropSize}, lr ${config.optimizer.lr} (poly ${config.schedule.power}); ${trainer.totalSteps} iterations; ${backboneNote}; out ${outDir}\n`,
    );
    const result = await trainer.run();
    const e = result.lastEval;
    const miou = e ? `; mIoU ${(e.metrics.mIoU * 100).toFixed(2)}, pixel accuracy ${(e.metrics.pixelAccuracy * 100).toFixed(2)}` : '';
    process.stderr.write(`train seg: done, ${result.steps - result.startStep} iterations in ${result.wallSeconds.toFixed(1)} s (${result.stepsPerSecond.toFixed(2)} it/s, ${result.imagesPerSecond.toFixed(1)} img/s)${miou}; checkpoint ${result.checkpoint ?? 'none'}\n`);
    return 0;
  } catch (err) {
    if (err instanceof train.NonFiniteLossError) {
      process.stderr.write(`\ntfvision train seg: ${err.message}\n`);
      return 1;
    }
    if (err instanceof Error && /^--resume: /.test(err.message)) throw new UsageError(err.message);
    throw err;
  } finally {
    run.close();
  }
}
