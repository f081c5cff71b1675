/**
 * From a validated segmentation config to a ready trainer on the shared engine: the data sets
 * (synthetic ones generated first when asked), the segmenter with numClasses = K + 1 (seeded
 * initialisation, optional backbone checkpoint), the step-seeded loader, the model step, SGD
 * with momentum and torchvision's groups (the auxiliary classifier at 10x), the poly schedule,
 * and the hooks: evaluation (mIoU every N steps and at the end, eval/step-N.json with the
 * per-class scores, metrics.json at the end), best checkpoint by mIoU, periodic checkpoints,
 * the JSONL log, progress and curves. `onEval` sees each report (the CLI draws predictions).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Segmenter } from '@tfvision/heads';
import { writeFileAtomic } from '@tfvision/nn';
import { BestCheckpointHook, CurvesHook, EvalHook, JsonlLogHook, LrScheduleHook, PeriodicCheckpointer, ProgressHook, ProgressLine, runPaths, SimpleTrainer, type Evaluation } from '../engine/index.js';
import { checkPolyLr, polyLrAt, type PolyLrOptions } from './poly-lr.js';
import { segmentationConfigHash, segmentationTotalSteps, type SegmentationTrainConfig } from './segmentation-config.js';
import { segmentationPanels } from './segmentation-curves.js';
import type { SegmentationSet } from './segmentation-data.js';
import { evaluateSegmenter, type SegmentationEvalReport } from './segmentation-eval.js';
import { SegmentationLoader, type SegmentationBatch } from './segmentation-loader.js';
import { Sgd } from '../optim/index.js';
import { buildSegmenter, segmentationParamGroups } from './segmentation-model.js';
import { splitPaths } from '../config/data-splits.js';
import { configSource } from '../config/load.js';
import { openSegmentationSets } from './segmentation-sets.js';
import { SegmentationModelStep } from './segmentation-step.js';

export interface SegmentationRunOptions {
  outDir: string;
  resume?: boolean;
  /** Overrides schedule.iterations / epochs (the poly schedule spans it). */
  totalSteps?: number;
  /** Stop once this many steps are done, as if killed (the schedule still spans totalSteps). */
  stopAfterStep?: number;
  progress?: { write(s: string): unknown; isTTY?: boolean };
  /** Called after each evaluation, before its metrics are logged. */
  onEval?: (report: SegmentationEvalReport, step: number) => Promise<void> | void;
  /** Where the config's relative data paths start. Default: the working directory. */
  cwd?: string;
}

export interface SegmentationRun {
  trainer: SimpleTrainer<SegmentationBatch>;
  model: Segmenter;
  trainSet: SegmentationSet;
  evalSet: SegmentationSet;
  presetName: string;
  mean: readonly number[];
  std: readonly number[];
  lr: PolyLrOptions;
  /** What loading the backbone checkpoint reported. */
  notes: string[];
  close(): void;
}

export function segmentationRunPaths(outDir: string): ReturnType<typeof runPaths> & { evals: string; metrics: string; predictions: string } {
  return { ...runPaths(outDir), evals: join(outDir, 'eval'), metrics: join(outDir, 'metrics.json'), predictions: join(outDir, 'predictions') };
}

const pad = (n: number) => String(n).padStart(8, '0');
const json = (v: unknown) => [new TextEncoder().encode(`${JSON.stringify(v, null, 1)}\n`)];

/** What eval/step-N.json and metrics.json hold: the scores without the drawn images. */
export function segmentationEvalSummary(report: SegmentationEvalReport, step: number): Record<string, unknown> {
  const { predictions: _p, ...scores } = report;
  return { step, ...scores };
}

export async function buildSegmentationRun(c: SegmentationTrainConfig, o: SegmentationRunOptions): Promise<SegmentationRun> {
  const cwd = o.cwd ?? process.cwd();
  const { trainSet, evalSet } = await openSegmentationSets(c, cwd);
  const built = buildSegmenter(c, trainSet.labels.numClasses, configSource(c), cwd);
  const { model, mean, std } = built;
  const totalSteps = o.totalSteps ?? segmentationTotalSteps(c, trainSet.length);
  const lr: PolyLrOptions = { baseLr: c.optimizer.lr, totalSteps, power: c.schedule.power, warmupIters: Math.min(c.schedule.warmupIters, totalSteps - 1), warmupFactor: c.schedule.warmupFactor };
  checkPolyLr(lr);
  const workers = c.data.workers ?? 0;
  // Worker threads open the training split again, with the options openSegmentationSets used.
  const workerSource = { split: splitPaths(c, 'train', cwd), options: { categories: c.data.categories, cache: c.data.cache, minAnnotatedArea: c.data.minAnnotatedArea } };
  const loader = new SegmentationLoader(trainSet, {
    batchSize: c.optimizer.batchSize, seed: c.seed, scale: c.data.scale, cropSize: c.data.cropSize, flipProb: c.data.flipProb, mean, std, prefetch: c.data.prefetch,
    workers, ...(workers > 0 ? { workerSource } : {}),
  });
  const groups = segmentationParamGroups(model, { weightDecay: c.optimizer.weightDecay, auxLrMultiplier: c.optimizer.auxLrMultiplier });
  const optimizer = new Sgd(groups, { momentum: c.optimizer.momentum });
  const paths = segmentationRunPaths(o.outDir);
  const trainer = new SimpleTrainer<SegmentationBatch>(loader, {
    outDir: o.outDir,
    totalSteps,
    resume: o.resume,
    stopAfterStep: o.stopAfterStep,
    configHash: segmentationConfigHash(c),
    dataSeed: c.seed,
    progress: new ProgressLine(o.progress ?? process.stderr),
    model,
    modelStep: new SegmentationModelStep(model, { auxWeight: c.loss.auxWeight, seed: c.seed }),
    optimizer,
  });
  const evaluate = async (step: number): Promise<Evaluation> => {
    const report = await evaluateSegmenter(model, evalSet, { mean, std, evalSize: c.data.evalSize === false ? undefined : c.data.evalSize, limit: c.eval.limit, keepPredictions: c.eval.draw });
    mkdirSync(paths.evals, { recursive: true });
    const summary = segmentationEvalSummary(report, step);
    writeFileAtomic(join(paths.evals, `step-${pad(step)}.json`), json(summary));
    if (step === totalSteps) writeFileAtomic(paths.metrics, json(summary));
    await o.onEval?.(report, step);
    const perClassIoU = Object.fromEntries(report.perClass.map((k) => [k.name, k.iou]));
    return {
      metrics: { mIoU: report.mIoU, pixelAccuracy: report.pixelAccuracy, meanClassAccuracy: report.meanClassAccuracy, fwIoU: report.fwIoU },
      record: { images: report.images, pixels: report.pixels, perClassIoU },
      summary: `mIoU ${(report.mIoU * 100).toFixed(2)}, pixel accuracy ${(report.pixelAccuracy * 100).toFixed(2)} (${report.images} images)`,
    };
  };
  trainer.registerHooks([
    new LrScheduleHook((step) => polyLrAt(lr, step)),
    new JsonlLogHook(),
    new ProgressHook(),
    new EvalHook(evaluate, c.eval.everySteps === false ? undefined : c.eval.everySteps),
    new BestCheckpointHook('mIoU', 'max'),
    new CurvesHook(segmentationPanels),
    new PeriodicCheckpointer(c.checkpoint.everySteps, c.checkpoint.keep),
  ]);
  return {
    trainer,
    model,
    trainSet,
    evalSet,
    presetName: built.presetName,
    mean,
    std,
    lr,
    notes: built.notes,
    close() {
      optimizer.dispose();
      model.dispose();
      void loader.close();
    },
  };
}
