import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { numberFlag, parseArgs, stringFlag } from '../args.js';
import { checkBackendName } from '../checks.js';
import { resolveConfigPath } from '../configs.js';
import { wasmThreadsFor } from '../wasm-threads.js';
import { checkResumable, checkRunDir, removeRunFiles, type RunDirMode } from './train-run-dir.js';
import { runTrainDet, TRAIN_DET_HELP } from './train-det.js';
import { runTrainSeg, TRAIN_SEG_HELP } from './train-seg.js';

const HELP = `${TRAIN_DET_HELP}
${TRAIN_SEG_HELP}
tfvision train cls --config C [--data DIR] [--resume | --overwrite] [--out DIR] [--steps N] [--epochs N] [--backend X]

Trains a classifier with the ResNeSt ImageNet recipe from a JSON config: a path, or the name
of a bundled one (imagenet/resnest50d, fashion-mnist/resnest, ...: the package's configs/).
Writes under --out: log.jsonl (one record per logged step and per evaluation), curves.png
(loss, accuracy and learning-rate curves), checkpoints/step-NNNNNNNN/ (model.safetensors,
optimizer.safetensors, trainer.json) and checkpoints/latest.json. Progress goes to stderr.

  --config C     training config (JSON, may "extends" another) or bundled name   required
  --data DIR     dataset directory (overrides data.root)
  --out DIR      run directory                          default runs/<config name>
  --resume       continue exactly from the newest checkpoint in --out
  --overwrite    replace the run in --out (removes its log.jsonl, checkpoints/, curves.png)
  --steps N      total optimiser steps (overrides schedule.epochs; the schedule spans N). A run
                 shorter than the warmup never reaches the target learning rate: it is
                 trained as asked, with a warning that gives the peak rate it reaches
  --epochs N     schedule.epochs
  --backend X    cpu | wasm | webgpu | tensorflow       default: TFVISION_BACKEND or the first that works

An --out that already holds a run is refused unless --resume or --overwrite is given.

Exit codes: 0 done, 1 training error (e.g. non-finite loss; the last good checkpoint is kept),
2 usage or config error (bad flag or config field, unknown model, missing data directory,
--out holding another run, --resume without a checkpoint or with different --steps).
`;

const isDir = (p: string): boolean => existsSync(p) && statSync(p).isDirectory();

export const trainCommand: Command = {
  name: 'train',
  summary: 'train classifiers (ResNeSt ImageNet recipe), detectors (Faster/Mask R-CNN) and segmenters (DeepLabV3/V3+)',
  help: HELP,
  async run(argv: string[]): Promise<number> {
    if (argv[0] === 'det') return runTrainDet(argv.slice(1));
    if (argv[0] === 'seg') return runTrainSeg(argv.slice(1));
    const args = parseArgs(argv, { values: ['config', 'data', 'out', 'steps', 'epochs', 'backend'], booleans: ['resume', 'overwrite'] }, 'train');
    const [task, ...extra] = args.positional;
    if (task !== 'cls') throw new UsageError(task === undefined ? 'missing task: tfvision train cls --config C (or train det, train seg)' : `unknown task "${task}" (known: cls, det, seg)`);
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    const configFlag = stringFlag(args, 'config');
    if (!configFlag) throw new UsageError('--config is required');
    const configPath = resolveConfigPath(configFlag);
    if (args.flags.has('resume') && args.flags.has('overwrite')) throw new UsageError('--resume and --overwrite are alternatives: continue the run in --out, or replace it');
    const mode: RunDirMode = args.flags.has('resume') ? 'resume' : args.flags.has('overwrite') ? 'overwrite' : 'new';
    const stepsFlag = stringFlag(args, 'steps');
    const steps = stepsFlag === undefined ? undefined : numberFlag(args, 'steps', 'train', 0);
    if (steps !== undefined && (!Number.isInteger(steps) || steps < 1)) throw new UsageError(`--steps must be a positive integer, got ${stepsFlag}`);
    const epochsFlag = stringFlag(args, 'epochs');
    const epochs = epochsFlag === undefined ? undefined : numberFlag(args, 'epochs', 'train', 0);
    if (epochs !== undefined && !(epochs > 0)) throw new UsageError(`--epochs must be a positive number, got ${epochsFlag}`);

    const { loadTrainConfig, ConfigError, buildRun, NonFiniteLossError, configHash, latestCheckpoint, trainerPaths } = await import('@tfvision/train');
    const overrides: Record<string, unknown> = {};
    const data = stringFlag(args, 'data');
    if (data) overrides.data = { root: data };
    if (epochs !== undefined) overrides.schedule = { epochs };
    let config;
    try {
      config = loadTrainConfig(configPath, overrides);
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(err.message);
      throw err;
    }
    if (!isDir(config.data.root)) {
      throw new UsageError(`data.root: ${config.data.root} is not a directory (pass --data DIR or set data.root in ${configPath}${config.data.kind === 'fashion-mnist' ? '; Debian/Ubuntu: apt-get install dataset-fashion-mnist' : ''})`);
    }
    const backend = stringFlag(args, 'backend');
    await checkBackendName(backend, 'train');
    const { initBackend } = await import('@tfvision/nn');
    const outDir = stringFlag(args, 'out') ?? join('runs', basename(configPath).replace(/\.json$/, ''));
    const paths = trainerPaths(outDir);
    const stale = checkRunDir(outDir, paths, mode, latestCheckpoint);
    await initBackend({ backend, wasmThreads: wasmThreadsFor(config.model.name) });
    const run = buildRun(config, { outDir, resume: mode === 'resume', totalSteps: steps });
    try {
      const { trainer } = run;
      if (mode === 'resume') checkResumable(latestCheckpoint(paths.checkpoints)!, { totalSteps: trainer.totalSteps, configHash: configHash(config) });
      removeRunFiles(stale);
      if (trainer.warmupSteps > 0 && trainer.warmupSteps >= trainer.totalSteps) {
        let peak = 0;
        for (let s = 0; s < trainer.totalSteps; s++) peak = Math.max(peak, trainer.lrAt(s));
        process.stderr.write(
          `train: warning: the warmup (schedule.warmupEpochs ${config.schedule.warmupEpochs} = ${trainer.warmupSteps} steps) is not shorter than this run's ${trainer.totalSteps} steps; ` +
            `the learning rate peaks at ${peak.toPrecision(3)}, never reaching ${run.lr.toPrecision(3)} (lower schedule.warmupEpochs or raise --steps)\n`,
        );
      }
      process.stderr.write(
        `train: ${config.model.name}, ${run.model.numParameters(true).toLocaleString('en-US')} parameters; ${run.trainSet.length} training / ${run.evalSet.length} evaluation images, ${run.trainSet.classes.length} classes; ` +
          `batch ${run.effectiveBatch} (${config.optim.batchSize} x ${config.optim.accumulate}), lr ${run.lr}; ${trainer.totalSteps} steps (${trainer.stepsPerEpoch}/epoch); out ${outDir}\n`,
      );
      const result = await trainer.run();
      const top = result.finalEval ? `; final top-1 ${(result.finalEval.top1 * 100).toFixed(2)}%, top-5 ${(result.finalEval.top5 * 100).toFixed(2)}%` : '';
      process.stderr.write(`train: done, ${result.steps} steps in ${result.wallSeconds.toFixed(1)} s (${result.imagesPerSecond.toFixed(1)} img/s)${top}; checkpoint ${result.checkpoint ?? 'none'}\n`);
      return 0;
    } catch (err) {
      if (err instanceof NonFiniteLossError) {
        process.stderr.write(`\ntfvision train: ${err.message}\n`);
        return 1;
      }
      throw err;
    } finally {
      await run.close();
    }
  },
};
