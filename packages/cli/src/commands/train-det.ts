/**
 * `tfvision train det`: trains a Faster / Mask R-CNN from a detection config (@tfvision/train's
 * detection loop: detectron2's recipe of SGD, warmup and multi-step decay by iteration, COCO AP
 * with @tfvision/eval during and after training). Usage and config errors are UsageErrors (exit 2)
 * naming the file and field; a non-finite loss exits 1 keeping the last good checkpoint.
 */
import { mkdirSync } from 'node:fs';
import { decodeRle, segmentationToRle } from '@tfvision/coco';
import { join } from 'node:path';
import { numberFlag, parseArgs, stringFlag } from '../args.js';
import { UsageError } from '../command.js';
import { resolveConfigPath } from '../configs.js';
import { removeRunFiles, type RunDirMode } from './train-run-dir.js';
import { setUpTrainRun, usageOnConfigError } from './train-run-setup.js';
import { drawDetections } from '../draw/draw-detections.js';
import type { DetectionEvalReport, DetectionEvalSet } from '@tfvision/train';

/** Images of the evaluation set drawn with their predictions at each evaluation. */
const DRAWN_IMAGES = 4;

/**
 * Draws the first DRAWN_IMAGES evaluation images with the evaluation's predictions (score >= 0.5)
 * into DIR/predictions/step-NNNNNNNN/, from the COCO results (so what is drawn is what was scored).
 */
async function drawPredictions(report: DetectionEvalReport, set: DetectionEvalSet, outDir: string, step: number): Promise<void> {
  const names = new Map(set.coco.categories.map((c) => [c.id, c.name]));
  const dir = join(outDir, 'predictions', `step-${String(step).padStart(8, '0')}`);
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < Math.min(DRAWN_IMAGES, report.images); i++) {
    const sample = await set.get(i);
    const { width, height } = sample.image;
    const boxes = report.results.bbox.filter((r) => r.image_id === sample.imageId);
    const segm = report.results.segm?.filter((r) => r.image_id === sample.imageId);
    const masks = segm ? new Float32Array(segm.length * width * height) : undefined;
    segm?.forEach((r, k) => masks!.set(decodeRle(segmentationToRle(r.segmentation!, height, width)), k * width * height));
    const rgb = Uint8Array.from(sample.image.data);
    await drawDetections(join(dir, sample.fileName.replace(/\.[^.]+$/, '.png')), rgb, width, height, {
      boxes: boxes.flatMap((r) => [r.bbox![0], r.bbox![1], r.bbox![0] + r.bbox![2], r.bbox![1] + r.bbox![3]]),
      scores: boxes.map((r) => r.score),
      labels: boxes.map((r) => r.category_id),
      ...(masks ? { masks } : {}),
    }, { labelName: (id) => names.get(id) ?? String(id) });
  }
}

export const TRAIN_DET_HELP = `tfvision train det --config C [--data DIR] [--out DIR] [--resume | --overwrite] [--steps N] [--backend X]

Trains a detector (Faster, Mask, Cascade or Cascade Mask R-CNN over any backbone) from a JSON
config: a path or a bundled name (faster_rcnn_resnest14d_fpn_synth, mask_rcnn_resnest14d_fpn_synth,
the *_fpn_coco_1x recipes). The model is the preset fasterrcnn_ / maskrcnn_ / cascade_rcnn_ /
cascade_mask_rcnn_<model.backbone.name>_fpn with the config's overrides; numClasses comes from
the data. Writes under --out: log.jsonl (every step's losses and lr, each
evaluation), curves.png, eval/step-N.json (bbox/segm stats, per-category AP), metrics.json and
results.bbox.json / results.segm.json (COCO results of the final evaluation),
predictions/step-N/*.png (the first ${DRAWN_IMAGES} evaluation images with their detections),
checkpoints/step-NNNNNNNN/ and checkpoints/latest.json. Progress goes to stderr.

  --config C     detection config (JSON, may "extends" another) or bundled name   required
  --data DIR     overrides data.root (train/val paths are relative to it)
  --out DIR      run directory                          default runs/<config name>
  --resume       continue exactly from the newest checkpoint in --out
  --overwrite    replace the run in --out
  --steps N      total iterations (overrides schedule.iterations; milestones past N are dropped)
  --backend X    cpu | wasm | webgpu | tensorflow       default: TFVISION_BACKEND or the first that works

A config with data.synth generates its synthetic data under data.root when it is missing.
Exit codes: 0 done, 1 training error (non-finite loss), 2 usage or config error.
`;

export async function runTrainDet(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['config', 'data', 'out', 'steps', 'backend'], booleans: ['resume', 'overwrite'] }, 'train det');
  if (args.positional.length > 0) throw new UsageError(`train det: unexpected argument "${args.positional[0]}"`);
  const configFlag = stringFlag(args, 'config');
  if (!configFlag) throw new UsageError('train det: --config is required');
  const configPath = resolveConfigPath(configFlag);
  if (args.flags.has('resume') && args.flags.has('overwrite')) throw new UsageError('--resume and --overwrite are alternatives: continue the run in --out, or replace it');
  const mode: RunDirMode = args.flags.has('resume') ? 'resume' : args.flags.has('overwrite') ? 'overwrite' : 'new';
  const stepsFlag = stringFlag(args, 'steps');
  const steps = stepsFlag === undefined ? undefined : numberFlag(args, 'steps', 'train det', 0);
  if (steps !== undefined && (!Number.isInteger(steps) || steps < 1)) throw new UsageError(`--steps must be a positive integer, got ${stepsFlag}`);

  const train = await import('@tfvision/train');
  const { config, outDir, stale } = await setUpTrainRun({ command: 'train det', args, configPath, mode, overrides: {}, load: train.loadDetectionConfig, runPaths: train.detectionRunPaths });
  // The evaluation set is opened by buildDetectionRun; the hook reads it once the run exists.
  const drawing: { set?: DetectionEvalSet } = {};
  // Data paths, backbone weights and parameter rules are checked while the run is built.
  const run = await usageOnConfigError(() =>
    train.buildDetectionRun(config, { outDir, resume: mode === 'resume', totalSteps: steps, onEval: (report, step) => (drawing.set ? drawPredictions(report, drawing.set, outDir, step) : undefined) }),
  );
  drawing.set = run.evalSet;
  try {
    removeRunFiles(stale);
    const { trainSet, evalSet, trainer } = run;
    const c = trainSet.counts;
    const w = run.backboneWeights;
    if (w) process.stderr.write(`train det: loaded ${w.loaded.length} backbone tensors from ${w.path}${w.notes.length ? ` (${w.notes.join('; ')})` : ''}\n`);
    process.stderr.write(
      `train det: ${run.modelName}, ${run.model.numParameters(true).toLocaleString('en-US')} trainable parameters, ${trainSet.labels.numClasses} classes; ` +
        `${trainSet.length} training images (${c.skippedImages} skipped: no non-crowd annotation), ${evalSet.length} evaluation images; ` +
        `batch ${config.optimizer.batchSize}, lr ${run.baseLr} (${config.optimizer.lr} per 16 images); ${trainer.o.totalSteps} iterations; out ${outDir}\n`,
    );
    const result = await trainer.run();
    const e = result.finalEval;
    const ap = e ? `; bbox AP ${(e.bbox.stats[0] * 100).toFixed(2)} AP50 ${(e.bbox.stats[1] * 100).toFixed(2)}${e.segm ? `, segm AP ${(e.segm.stats[0] * 100).toFixed(2)} AP50 ${(e.segm.stats[1] * 100).toFixed(2)}` : ''}` : '';
    process.stderr.write(`train det: done, ${result.steps - result.startStep} iterations in ${result.wallSeconds.toFixed(1)} s (${result.stepsPerSecond.toFixed(2)} it/s)${ap}; checkpoint ${result.checkpoint ?? 'none'}\n`);
    return 0;
  } catch (err) {
    if (err instanceof train.NonFiniteLossError) {
      process.stderr.write(`\ntfvision train det: ${err.message}\n`);
      return 1;
    }
    if (err instanceof Error && /^DetectionTrainer: .*(config hash|a run of)/.test(err.message)) throw new UsageError(`--resume: ${err.message.replace(/^DetectionTrainer: /, '')}`);
    throw err;
  } finally {
    run.close();
  }
}
